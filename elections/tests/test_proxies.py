"""Proxies are verified (issue 9 item 3, issue 10 item 1): registered with the written mandate, accepted by
staff who run the vote, and only then cast; the developer votes only through its proxy."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from core.errors import ApplicationError, Conflict, NotPermitted
from elections import selectors, services
from elections.models import Ballot, Channel, Proxy, ProxyStatus, RefusedBallot
from elections.tests.factories import OwnerFactory, UnitFactory, open_resolution, own
from governance.models import AuditEvent, DistrictRule, RoleAssignment
from governance.tests.factories import UserFactory
from residents.models import Owner, OwnerKind

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def mandate(name="委托书.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def vote(world, ten_owners):
    return open_resolution(world["estate_a"])


def _accepted(vote, owner, cast, **who) -> Proxy:
    proxy = services.proxy_register(vote=vote, owner=owner, mandate=mandate(), actor=cast["clerk"], **who)
    return services.proxy_decide(proxy=proxy, accept=True, actor=cast["secretary_a"])


def test_a_resident_inventing_a_proxy_online_is_refused_and_nothing_is_written(vote, ten_owners, cast, api):
    other = ten_owners[3][1]
    body = {"channel": "online", "owner": other.pk, "choice": "for", "proxy": {"name": "王某", "mandate": "WT-001"}}
    r = api.as_user(cast["resident"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json")
    assert r.status_code == 403 and r.data["code"] == "proxy_not_registered"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert not Proxy.objects.exists()


def test_a_proxy_registered_with_its_mandate_votes_online_only_once_accepted(vote, ten_owners, cast, api):
    owner = ten_owners[3][1]
    client = api.as_user(cast["resident"])
    r = client.post(
        f"/api/v1/votes/{vote.pk}/proxies/",
        {"owner": owner.pk, "user": cast["resident"].pk, "mandate": mandate()},
        format="multipart",
    )
    assert r.status_code == 201 and r.data["status"] == "pending", r.data
    proxy = Proxy.objects.get(pk=r.data["id"])
    assert proxy.mandate.read() == PNG
    body = {"channel": "online", "owner": owner.pk, "choice": "for"}
    refused = client.post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json")
    assert refused.status_code == 403 and not Ballot.objects.filter(vote=vote).exists()
    accepted = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/votes/{vote.pk}/proxies/{proxy.pk}/decide/", {"accept": True}, format="json"
    )
    assert accepted.status_code == 200 and accepted.data["status"] == "accepted"
    r = api.as_user(cast["resident"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json")
    assert r.status_code == 201, r.data
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.proxy == proxy and ballot.proxy_name == proxy.name


def test_staff_entry_naming_a_proxy_that_is_not_registered_is_refused_with_409(vote, ten_owners, cast):
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T1",
            owner_id=ten_owners[2][1].pk,
            choice="for",
            proxy_name="王某",
            actor=cast["clerk"],
        )
    assert refused.value.status == 409 and refused.value.code == "proxy_not_registered"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert RefusedBallot.objects.get(vote=vote).reason == "proxy_not_registered"


def test_staff_enter_a_paper_ballot_by_the_name_of_an_accepted_proxy(vote, ten_owners, cast):
    owner = ten_owners[2][1]
    proxy = _accepted(vote, owner, cast, name="王 某")
    services.paper_serials_issue(vote=vote, serials=["P1"], actor=cast["secretary_a"])
    ballot = services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial="P1",
        owner_id=owner.pk,
        choice="against",
        proxy_name="王某",
        actor=cast["clerk"],
    )
    assert ballot.proxy == proxy


def test_a_pending_or_refused_proxy_cannot_vote(vote, ten_owners, cast):
    owner = ten_owners[2][1]
    proxy = services.proxy_register(vote=vote, owner=owner, name="李某", mandate=mandate(), actor=cast["clerk"])
    with pytest.raises(Conflict):
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=owner.pk,
            choice="for",
            proxy_name="李某",
            actor=cast["clerk"],
        )
    services.proxy_decide(proxy=proxy, accept=False, reason="委托书无业主签字", actor=cast["secretary_a"])
    with pytest.raises(Conflict):
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=owner.pk,
            choice="for",
            proxy_id=proxy.pk,
            actor=cast["clerk"],
        )
    assert not Ballot.objects.filter(vote=vote).exists()


def test_one_proxy_represents_at_most_five_owners_in_a_vote(vote, ten_owners, cast):
    for _unit, owner in ten_owners[:5]:
        _accepted(vote, owner, cast, name="张三")
    sixth = services.proxy_register(
        vote=vote, owner=ten_owners[5][1], name="张 三", mandate=mandate(), actor=cast["clerk"]
    )
    with pytest.raises(Conflict) as refused:
        services.proxy_decide(proxy=sixth, accept=True, actor=cast["secretary_a"])
    assert refused.value.code == "proxy_limit"
    sixth.refresh_from_db()
    assert sixth.status == ProxyStatus.PENDING


def test_a_district_may_set_its_own_limit_per_proxy(world, vote, ten_owners, cast):
    DistrictRule.objects.create(district=world["district"], key="VOTE_PROXY_LIMIT", value=1)
    _accepted(vote, ten_owners[0][1], cast, user=cast["resident"])
    second = services.proxy_register(
        vote=vote, owner=ten_owners[1][1], user=cast["resident"], mandate=mandate(), actor=cast["clerk"]
    )
    with pytest.raises(Conflict):
        services.proxy_decide(proxy=second, accept=True, actor=cast["secretary_a"])


def test_only_staff_who_run_the_vote_accept_a_proxy(vote, ten_owners, cast):
    proxy = services.proxy_register(
        vote=vote, owner=ten_owners[0][1], name="赵某", mandate=mandate(), actor=cast["clerk"]
    )
    with pytest.raises(NotPermitted):
        services.proxy_decide(proxy=proxy, accept=True, actor=cast["clerk"])
    proxy.refresh_from_db()
    assert proxy.status == ProxyStatus.PENDING


def test_a_mandate_that_is_not_a_document_is_refused_before_anything_is_kept(vote, ten_owners, cast):
    fake = SimpleUploadedFile("委托书.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    with pytest.raises(ApplicationError) as refused:
        services.proxy_register(vote=vote, owner=ten_owners[0][1], name="钱某", mandate=fake, actor=cast["clerk"])
    assert refused.value.code == "upload_type"
    assert not Proxy.objects.exists()


def test_a_resident_may_not_register_a_mandate_for_someone_else_to_someone_else(vote, ten_owners, cast):
    with pytest.raises(NotPermitted):
        services.proxy_register(
            vote=vote, owner=ten_owners[0][1], name="孙某", mandate=mandate(), actor=cast["resident"]
        )
    assert not Proxy.objects.exists()


def test_the_mandate_is_read_by_staff_and_the_reading_is_recorded(vote, ten_owners, cast, api):
    proxy = services.proxy_register(
        vote=vote, owner=ten_owners[0][1], name="周某", mandate=mandate(), actor=cast["clerk"]
    )
    url = f"/api/v1/votes/{vote.pk}/proxies/{proxy.pk}/mandate/"
    r = api.as_user(cast["secretary_a"]).get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert AuditEvent.objects.filter(action="proxy.mandate_read", object_id=str(proxy.pk)).count() == 1
    assert api.as_user(cast["resident"]).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="proxy.mandate_read").count() == 1


def test_a_proxy_from_outside_the_estate_sees_the_vote_once_accepted(vote, ten_owners, cast, api):
    outsider = UserFactory(username="outsider")
    assert api.as_user(outsider).get(f"/api/v1/votes/{vote.pk}/").status_code == 404
    _accepted(vote, ten_owners[0][1], cast, user=outsider)
    assert api.as_user(outsider).get(f"/api/v1/votes/{vote.pk}/").status_code == 200
    ballot = services.ballot_cast(
        vote=vote, channel=Channel.ONLINE, owner_id=ten_owners[0][1].pk, choice="for", actor=outsider
    )
    assert ballot.proxy.user == outsider


@pytest.mark.urls("elections.tests.urls")
def test_the_ballot_page_shows_the_owners_the_logged_in_user_may_vote_for(client, vote, ten_owners, cast):
    user = cast["resident"]
    user.person = ten_owners[0][1].person
    user.save()
    _accepted(vote, ten_owners[4][1], cast, user=user)
    client.force_login(user)
    page = client.get(f"/votes/{vote.pk}/").content.decode()
    assert page.count('name="owner"') == 2
    assert ten_owners[0][0].label in page and ten_owners[4][0].label in page
    r = client.post(f"/votes/{vote.pk}/cast/", {"owner": ten_owners[4][1].pk, "choice": "for"})
    assert r.status_code == 200 and Ballot.objects.get(vote=vote).proxy.owner == ten_owners[4][1]


# The developer ----------------------------------------------------------------------------------


@pytest.fixture
def developer(world):
    dev = Owner.objects.create(
        kind=OwnerKind.ORGANIZATION, org_name="重庆某置业有限公司", is_developer=True, place=world["estate_a"]
    )
    for _i in range(3):
        own(UnitFactory(building=world["building_a2"]), dev)
    return dev


def test_the_developers_entry_is_cast_only_through_its_accepted_proxy(world, cast, developer, ten_owners):
    vote = open_resolution(world["estate_a"])
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference="T", owner_id=developer.pk, choice="for", actor=cast["clerk"]
        )
    assert refused.value.code == "proxy_not_registered"
    assert not Ballot.objects.filter(vote=vote).exists()
    _accepted(vote, developer, cast, name="开发商授权代表")
    ballot = services.ballot_cast(
        vote=vote,
        channel=Channel.PHONE,
        reference="T",
        owner_id=developer.pk,
        choice="for",
        proxy_name="开发商授权代表",
        actor=cast["clerk"],
    )
    assert ballot.entry.is_developer and ballot.area_cents == 300_00


def test_a_formula_in_a_proxys_name_is_exported_as_text_and_the_export_verifies(
    world, vote, ten_owners, cast, tmp_path
):
    owner = ten_owners[1][1]
    formula = '=HYPERLINK("http://evil.example","x")'
    _accepted(vote, owner, cast, name=formula)
    services.ballot_cast(
        vote=vote,
        channel=Channel.WECHAT,
        reference="W",
        owner_id=owner.pk,
        choice="for",
        proxy_name=formula,
        actor=cast["clerk"],
    )
    text = selectors.export_csv(vote)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    path = tmp_path / "vote.csv"
    path.write_text(text, encoding="utf-8")
    call_command("verify_vote", str(vote.pk), "--csv", str(path), stdout=io.StringIO())


def test_a_resident_who_is_not_on_the_roll_may_not_vote_online_for_anyone(world, vote, cast, ten_owners):
    stranger = UserFactory(username="stranger", person=OwnerFactory(place=world["estate_a"]).person)
    RoleAssignment.objects.create(user=stranger, role="resident", place=world["estate_a"])
    with pytest.raises(ApplicationError):
        services.ballot_cast(vote=vote, channel=Channel.ONLINE, choice="for", actor=stranger)
    assert not Ballot.objects.filter(vote=vote).exists()

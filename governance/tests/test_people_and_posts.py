import pytest

from governance import services
from governance.models import AuditEvent, OrgKind, Post, PostBody, PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import org

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(world):
    return services.person_create(
        name="张三", place=world["estate_a"], id_number="500105195305121234", phone="13812345678", actor=SYSTEM
    )


def test_people_are_listed_with_masked_id_and_phone_numbers(api, cast, person):
    row = api.as_user(cast["secretary_a"]).get("/api/v1/people/", {"name": "张三"}).data["results"][0]
    assert row["id_number_masked"] == "5001**********1234"
    assert row["phone_masked"] == "138****5678"
    assert "id_number" not in row and "phone" not in row


def test_id_numbers_are_encrypted_at_rest(person):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM governance_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert "500105" not in stored_id and "1381234" not in stored_phone


def test_a_secretary_reveals_a_whole_number_and_the_reveal_is_audited(api, cast, person):
    response = api.as_user(cast["secretary_a"]).post(f"/api/v1/people/{person.pk}/reveal/")
    assert response.data["id_number"] == "500105195305121234"
    assert AuditEvent.objects.filter(
        action="person.reveal", object_id=str(person.pk), actor=cast["secretary_a"]
    ).exists()


def test_a_committee_member_may_not_reveal_whole_numbers(api, cast, person):
    response = api.as_user(cast["committee_member"]).post(f"/api/v1/people/{person.pk}/reveal/")
    assert response.status_code == 403
    assert "id_number" not in response.data
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_an_auditor_reveals_a_whole_number_and_the_reveal_is_audited(api, cast, person):
    response = api.as_user(cast["auditor"]).post(f"/api/v1/people/{person.pk}/reveal/")
    assert response.status_code == 200
    assert response.data == {"id": person.pk, "id_number": "500105195305121234", "phone": "13812345678"}
    assert AuditEvent.objects.filter(action="person.reveal", actor=cast["auditor"]).count() == 1


def test_the_same_person_is_found_by_keyed_hash_without_decrypting(person):
    from core.crypto import keyed_hash
    from governance.models import Person

    assert Person.objects.get(id_number_hash=keyed_hash(" 500105195305121234 ")) == person


def test_people_holding_several_posts_are_listed_for_a_subtree(api, cast, world, person):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", world["community_a"])
    general = org(OrgKind.ESTATE_GENERAL_BRANCH, "党总支", world["estate_a"], committee)
    services.post_create(
        person=person, kind=PostKind.SECRETARY, body=PostBody.PARTY, organization=general, actor=SYSTEM
    )
    services.post_create(
        person=person, kind=PostKind.CHAIR, body=PostBody.OWNERS_COMMITTEE, place=world["estate_a"], actor=SYSTEM
    )
    response = api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['community_a'].pk}/multi-post-holders/")
    assert [(h["name"], len(h["posts"])) for h in response.data] == [("张三", 2)]
    share = api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['community_a'].pk}/secretary-chair-share/")
    assert (share.data["estates"], share.data["estates_secretary_is_chair"], share.data["share"]) == (1, 1, "100.00")


def test_an_ended_post_no_longer_counts_as_held(api, cast, world, person):
    import datetime

    first = services.post_create(
        person=person, kind=PostKind.CHAIR, body=PostBody.OWNERS_COMMITTEE, place=world["estate_a"], actor=SYSTEM
    )
    services.post_create(
        person=person, kind=PostKind.LEADER, body=PostBody.RESIDENTS_GROUP, place=world["estate_a"], actor=SYSTEM
    )
    services.post_end(post=first, end=datetime.date(2020, 1, 1), actor=SYSTEM)
    response = api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['estate_a'].pk}/multi-post-holders/")
    assert response.data == []


def test_a_party_post_needs_an_organization(api, cast, world, person):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/posts/",
        {"person": person.pk, "kind": "secretary", "body": "party", "place": world["estate_a"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "党组织" in response.data["detail"]
    assert not Post.objects.filter(person=person).exists()

"""Updates leave old and new values in the audit trail; the platform's own acts are recorded as the system's."""

import datetime

from django.urls import reverse

from committees import services
from committees.models import MeetingKind, PropertyCompany
from committees.tests.factories import aware, committee
from committees.tests.test_one_rule import _filed_election
from elections.signals import vote_filed
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from residents.models import Owner


def _last(action):
    return AuditEvent.objects.filter(action=action).latest("pk")


def test_a_property_company_update_through_the_api_records_old_and_new_values(api, cast, world):
    company = services.property_company_create(
        name="某物业", place=world["community_a"], contact="张经理", actor=SYSTEM
    )
    response = api.as_user(cast["secretary_a"]).patch(
        reverse("property-company-detail", args=[company.pk]),
        {"contact": "李经理", "name": "改名物业", "credit_code": "91500105ma5u0x1x2y"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    company.refresh_from_db()
    assert (company.name, company.contact, company.credit_code) == ("某物业", "李经理", "91500105MA5U0X1X2Y")
    event = _last("property_company.update")
    assert event.actor == cast["secretary_a"]
    assert event.data["changes"] == {
        "contact": {"old": "张经理", "new": "李经理"},
        "credit_code": {"old": "", "new": "91500105MA5U0X1X2Y"},
    }


def test_a_committee_member_of_an_estate_cannot_change_the_company_registered_at_the_community(api, cast, world):
    company = services.property_company_create(name="某物业", place=world["community_a"], actor=SYSTEM)
    response = api.as_user(cast["committee_member"]).patch(
        reverse("property-company-detail", args=[company.pk]), {"contact": "x"}, format="json"
    )
    # The company serves no estate of the member's yet: it is out of their sight.
    assert response.status_code == 404
    assert PropertyCompany.objects.get(pk=company.pk).contact == ""


def test_filing_a_committee_records_the_values_it_replaced(estate, cast):
    board = committee(estate, n=5, term_start=datetime.date(2026, 1, 1))
    services.committee_file(
        committee=board, filed_on=datetime.date(2026, 1, 20), reference="观街备〔2026〕3号", actor=cast["street_staff"]
    )
    changes = _last("committee.file").data["changes"]
    assert changes == {
        "filed_on": {"old": None, "new": "2026-01-20"},
        "filing_reference": {"old": "", "new": "观街备〔2026〕3号"},
    }


def test_attendance_records_who_was_added_and_removed(estate):
    board = committee(estate, n=5)
    members = sorted((p.person for p in board.posts.all()), key=lambda p: p.pk)
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="例会", held_at=aware(2026, 3, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=members[:3], actor=SYSTEM)
    services.meeting_record_attendance(meeting=meeting, attendees=members[1:4], party_org=True, actor=SYSTEM)
    changes = _last("meeting.record_attendance").data["changes"]
    assert changes["attendees"] == {"old": [p.pk for p in members[:3]], "new": [p.pk for p in members[1:4]]}
    assert changes["party_org_attended"] == {"old": False, "new": True}


def test_the_committee_a_filed_election_records_is_the_systems_act_naming_the_filer(estate, cast):
    from committees.tests.factories import people as new_people

    owners = [Owner.objects.create(person=p, place=estate) for p in new_people(5, estate)]
    vote = _filed_election(estate, seats=5)
    vote_filed.send(sender=None, vote=vote, elected=[o.pk for o in owners], actor=cast["street_staff"])
    event = _last("committee.record")
    assert event.by_system and event.actor is None
    assert event.data["filed_by"] == cast["street_staff"].pk

"""Answers the schema-driven fuzz test (core/tests/test_api_fuzz.py) found wrong, each fixed and kept fixed."""

import pytest
from django.test import Client

from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, org
from residents import services

pytestmark = pytest.mark.django_db


def test_recording_a_participation_answers_201_with_the_one_record_as_the_schema_declares(api, cast, world):
    committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    world["estate_a"].refresh_from_db()
    branch = org("estate_general_branch", "南方上格林党总支", world["estate_a"], committee)
    member = services.party_member_register(
        person=PersonFactory(place=world["estate_a"]), organization=branch, actor=SYSTEM
    )
    url = f"/api/v1/party-members/{member.pk}/participations/"
    response = api.as_user(cast["secretary_a"]).post(url, {"date": "2026-01-05", "activity": "清扫楼道"}, format="json")
    declared = (
        Client().get("/api/schema/", {"format": "json"}).json()["paths"]["/api/v1/party-members/{id}/participations/"]
    )
    created = declared["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert response.status_code == 201
    assert response.json()["activity"] == "清扫楼道"
    assert "200" not in declared["post"]["responses"]
    assert created == {"$ref": "#/components/schemas/Participation"}

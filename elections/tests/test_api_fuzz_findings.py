"""Answers the schema-driven fuzz test (core/tests/test_api_fuzz.py) found wrong, each fixed and kept fixed."""

import pytest
from django.test import Client

from elections.models import Ballot
from elections.tests.factories import open_resolution

pytestmark = pytest.mark.django_db


def test_a_ballot_naming_its_proxy_by_a_string_answers_400_with_the_accepted_forms(world, ten_owners, cast, api):
    vote = open_resolution(world["estate_a"])
    body = {"channel": "online", "owner": ten_owners[0][1].pk, "choice": "for", "proxy": "-35082"}
    response = api.as_user(cast["resident"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["proxy"] == ['受托人须为已登记委托的编号，或 {"id": 编号} / {"name": 姓名}。']
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_vote_that_follows_no_other_answers_a_blank_follow_up_and_the_schema_allows_it(world, cast, api):
    vote = open_resolution(world["estate_a"])
    answer = api.as_user(cast["secretary_a"]).get(f"/api/v1/votes/{vote.pk}/").json()
    declared = Client().get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert answer["follow_up"] == ""
    assert "" in declared["BlankEnum"]["enum"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in declared["Vote"]["properties"]["follow_up"]["oneOf"]

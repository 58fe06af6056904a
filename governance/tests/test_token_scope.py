"""A token request reads the token, its user and the user's scope in one query (``ScopedTokenAuthentication``),
with DRF's answers to a bad token, and the scope it primes is the one ``governance.scoping`` reads itself."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from governance import services
from governance.api.authentication import ScopedTokenAuthentication
from governance.models import PlaceKind, RoleAssignment
from governance.scoping import CAPABILITIES, SYSTEM, _read_assignments, scope_filter, scope_ranges
from governance.tests.factories import UserFactory, place
from residents.models import PropertyUnit

ACTIONS = sorted({action for capabilities in CAPABILITIES.values() for action in capabilities})


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _users(world, cast):
    """The cast, and users with several assignments (one withdrawn), a role over one building, none at all."""
    mixed = UserFactory(username="mixed")
    complex_ = place(PlaceKind.COMPLEX, "西苑", world["estate_b"])
    for role, where in (
        ("community_secretary", world["community_a"]),
        ("committee_member", world["community_a"]),
        ("discipline_reviewer", world["street_a"]),
        ("clerk", world["building_a1"]),
        ("committee_member", complex_),
        ("resident", world["estate_b"]),
    ):
        RoleAssignment.objects.create(user=mixed, role=role, place=where)
    withdrawn = RoleAssignment.objects.get(user=mixed, role="resident")
    services.role_assignment_delete(assignment=withdrawn, actor=SYSTEM)
    building_only = UserFactory(username="building_only")
    RoleAssignment.objects.create(user=building_only, role="committee_member", place=world["building_b1"])
    return [*cast.values(), mixed, building_only, UserFactory(username="nobody")]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_token_request_reads_the_token_its_user_and_the_scope_in_one_query(world, cast, django_assert_num_queries):
    building = world["building_a1"]
    PropertyUnit.objects.create(building=building, estate=building.estate, stairway="1", room="101", area=100)
    client = _client(cast["auditor"])
    url = f"/api/v1/units/?estate={world['estate_a'].pk}"
    # One for the token with its user and scope, one for the page with its count (the list's own).
    with django_assert_num_queries(2) as queries:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] == 1
    first = queries.captured_queries[0]["sql"]
    assert "authtoken_token" in first and "governance_roleassignment" in first


@pytest.mark.django_db
def test_a_token_request_reads_no_role_assignment_after_authenticating(world, cast):
    client = _client(cast["secretary_a"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/places/").status_code == 200
    assert sum("governance_roleassignment" in q["sql"] for q in queries.captured_queries) == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_primed_scope_is_the_one_scoping_reads_itself(world, cast):
    for user in _users(world, cast):
        key = Token.objects.create(user=user).key
        authenticated, token = ScopedTokenAuthentication().authenticate_credentials(key)
        assert (authenticated.pk, token.key, token.user is authenticated) == (user.pk, key, True)
        assigned, estates = _read_assignments(user)
        assert authenticated._gongzhi_assignments == assigned, user
        assert authenticated._gongzhi_range_estates == estates, user
        fresh = type(user).objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            for action in ACTIONS:
                assert scope_ranges(authenticated, action) == scope_ranges(fresh, action), (user, action)
                primed = scope_filter(PropertyUnit, authenticated, action)
                assert primed == scope_filter(PropertyUnit, fresh, action), (user, action)
        # The fresh user's read only: the primed user needed none.
        assert len(queries) == (0 if user.is_superuser else 1), user


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_mixed_users_scope_is_not_empty_and_leaves_out_the_withdrawn_role(world, cast):
    mixed = next(u for u in _users(world, cast) if u.username == "mixed")
    authenticated, _token = ScopedTokenAuthentication().authenticate_credentials(Token.objects.create(user=mixed).key)
    roles = sorted(role for role, *_rest in authenticated._gongzhi_assignments)
    assert roles == ["clerk", "committee_member", "committee_member", "community_secretary", "discipline_reviewer"]


@pytest.mark.django_db
def test_the_token_and_user_are_those_drf_reads(cast):
    user = cast["secretary_a"]
    key = Token.objects.create(user=user).key
    ours, our_token = ScopedTokenAuthentication().authenticate_credentials(key)
    drfs, drf_token = TokenAuthentication().authenticate_credentials(key)
    fields = [f.attname for f in type(user)._meta.concrete_fields]
    assert [getattr(ours, f) for f in fields] == [getattr(drfs, f) for f in fields]
    token_fields = [f.attname for f in Token._meta.concrete_fields]
    assert [getattr(our_token, f) for f in token_fields] == [getattr(drf_token, f) for f in token_fields]
    assert ours._state.adding is False and ours._state.db == "default"


def _drf_refusal(key: str, language: str = settings.LANGUAGE_CODE) -> str:
    """DRF's own TokenAuthentication's message for ``key``."""
    with translation.override(language), pytest.raises(AuthenticationFailed) as refused:
        TokenAuthentication().authenticate_credentials(key)
    return str(refused.value.detail)


@pytest.mark.django_db
def test_an_unknown_token_is_refused_with_drfs_answer(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/places/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == _drf_refusal("0123456789abcdef0123456789abcdef01234567")
    assert _drf_refusal("nope", "en") == "Invalid token."


@pytest.mark.django_db
def test_an_inactive_users_token_is_refused_with_drfs_answer(cast):
    user = cast["auditor"]
    client = _client(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/api/v1/places/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    key = Token.objects.get(user=user).key
    assert response.json()["detail"] == _drf_refusal(key)
    assert _drf_refusal(key, "en") == "User inactive or deleted."


@pytest.mark.django_db
def test_a_role_granted_after_the_token_was_issued_is_seen_on_the_next_request(world):
    user = UserFactory(username="newcomer")
    client = _client(user)
    url = f"/api/v1/places/{world['estate_a'].pk}/"
    assert client.get(url).status_code == 404
    services.role_assignment_create(user=user, role="resident", place=world["estate_a"], actor=SYSTEM)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_role_withdrawn_after_the_token_was_issued_is_gone_on_the_next_request(world):
    user = UserFactory(username="leaver")
    assignment = RoleAssignment.objects.create(user=user, role="resident", place=world["estate_a"])
    client = _client(user)
    url = f"/api/v1/places/{world['estate_a'].pk}/"
    assert client.get(url).status_code == 200
    services.role_assignment_delete(assignment=assignment, actor=SYSTEM)
    assert client.get(url).status_code == 404

"""The estates of a user's scope are read with the role assignments, in one query, and are those a query of
the place tree over the same ranges finds (``governance.scoping._estates_in`` against ``_estates_queried``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import PlaceKind, RoleAssignment
from governance.scoping import CAPABILITIES, _estates_in, _estates_queried, forget_scope, scope_filter, scope_ranges
from governance.tests.factories import UserFactory, place
from residents.models import PropertyUnit


def _mixed_user(world):
    """Two roles over one community, one over its street, one over a building, one over a complex."""
    user = UserFactory(username="mixed")
    complex_ = place(PlaceKind.COMPLEX, "西苑", world["estate_b"])
    for role, where in (
        ("community_secretary", world["community_a"]),
        ("committee_member", world["community_a"]),
        ("discipline_reviewer", world["street_a"]),
        ("clerk", world["building_a1"]),
        ("committee_member", complex_),
    ):
        RoleAssignment.objects.create(user=user, role=role, place=where)
    return user


@pytest.mark.django_db
def test_the_estates_read_with_the_assignments_are_those_the_place_tree_holds(world, cast):
    users = [*cast.values(), _mixed_user(world)]
    actions = sorted({a for capabilities in CAPABILITIES.values() for a in capabilities})
    compared = 0
    for user in users:
        for action in actions:
            ranges = scope_ranges(user, action)
            if not ranges:
                continue
            estates, empty = _estates_in(user, ranges)
            queried, queried_empty = _estates_queried(user, ranges)
            assert sorted(estates) == sorted(queried) and len(estates) == len(set(estates)), (user, action)
            assert sorted(empty) == sorted(queried_empty), (user, action)
            compared += bool(estates)
    assert compared > 5


@pytest.mark.django_db
def test_a_scope_filter_costs_one_query_for_the_assignments_and_their_estates(world, cast):
    user = cast["auditor"]
    forget_scope(user)
    with CaptureQueriesContext(connection) as queries:
        scope_filter(PropertyUnit, user, "view")
        scope_filter(PropertyUnit, user, "audit")
    assert len(queries) == 1


@pytest.mark.django_db
def test_forgetting_the_scope_reads_new_roles_and_their_estates(world):
    user = UserFactory(username="promoted")
    assert scope_ranges(user, "view") == []
    RoleAssignment.objects.create(user=user, role="community_secretary", place=world["community_b"])
    forget_scope(user)
    estates, empty = _estates_in(user, scope_ranges(user, "view"))
    assert world["estate_b"].pk in estates and world["estate_a"].pk not in estates and not empty

"""The scoped units list of a 20,000-unit estate in a 200-estate district, per role, against ``.values()``."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from bench.generate import District, user_with_role
from bench.measure import Figure, alternate
from governance.models import Person, User
from residents.models import Owner, OwnerKind, Ownership, PropertyUnit

ROLES = (
    ("secretary", "community_secretary", "community"),
    ("street", "street_staff", "street"),
    ("auditor", "district_auditor", "district"),
)
TARGET = 1.5


def token_for(username: str, role: str, place) -> str:
    user = user_with_role(username, role, place)
    return Token.objects.get_or_create(user=user)[0].key


def give_a_flat(username: str, estate_id: int) -> None:
    """Make the user an owner of a flat (outside their scope, as a secretary living elsewhere often is)."""
    user = User.objects.get(username=username)
    if user.person_id:
        return
    unit = PropertyUnit.objects.filter(estate_id=estate_id).order_by("pk").first()
    user.person = Person.objects.create(name=f"{username} 本人", place_id=estate_id)
    user.save(update_fields=["person"])
    owner = Owner.objects.create(kind=OwnerKind.PERSON, person=user.person, place_id=estate_id)
    Ownership.objects.create(unit=unit, owner=owner, start=datetime.date(2020, 1, 1))


def settle_units_table() -> None:
    """``VACUUM ANALYZE`` the units, as autovacuum would have: the register is written once and read since.

    The benchmark's PostgreSQL runs with ``autovacuum = off``; right after the district is generated
    (or the register figure reloads an estate) the visibility map is empty, and the list's count of
    the estate, an index-only scan in any deployment, would read every row's heap page instead. The
    floor counts nothing, so this only takes away a cost production does not have.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE residents_propertyunit")


def scoped_lists(world: District, repeat: int) -> list[Figure]:
    """Time ``GET /api/v1/units/?estate=`` per role (token auth, the whole stack) against the floor view."""
    client = Client()
    settle_units_table()
    figures = []
    estate = world.estate.pk
    units = PropertyUnit.objects.filter(estate_id=estate).count()
    for name, role, level in ROLES:
        token = token_for(f"bench_{name}", role, getattr(world, level))
        give_a_flat(f"bench_{name}", world.estate_ids[-1])
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
        url = f"/api/v1/units/?estate={estate}"
        floor_url = f"/bench/floor/units/?estate={estate}"

        def ours(url=url, headers=headers):
            response = client.get(url, **headers)
            assert response.status_code == 200, response.content[:200]

        def floor(url=floor_url):
            response = client.get(url)
            assert response.status_code == 200, response.content[:200]

        with CaptureQueriesContext(connection) as first:
            ours()
        with CaptureQueriesContext(connection) as last_page:
            client.get(f"{url}&page=398", **headers)
        platform, floor_time = alternate(ours, floor, repeat=repeat)
        figures.append(
            Figure(
                key=f"scoped_list_{name}",
                title=f"units list, {units:,}-unit estate of {len(world.estate_ids)}, as {role}",
                platform=platform,
                floor=floor_time,
                floor_title="the same page with .values()",
                target=TARGET,
                notes="in-process request through the whole stack (token auth, scope, count, page, serializer)",
                extra={"queries": len(first), "queries_last_page": len(last_page), "scope": getattr(world, level).name},
            )
        )
    return figures

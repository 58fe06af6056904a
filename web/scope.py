"""Which place a page shows: the user's home places, the one chosen with ``?place=``, and its breadcrumbs."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode

from governance.models import Place, PlaceKind
from governance.scoping import CAPABILITIES, assigned_place_ids, is_unrestricted

# Places a workspace or a report may be about (a building is seen through its estate).
SCOPE_KINDS = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY, PlaceKind.ESTATE)


def home_places(user, action: str) -> list[Place]:
    """The places where ``user`` holds a role that may ``action``, highest first (the roots for a superuser)."""
    if is_unrestricted(user):
        return list(Place.objects.filter(parent__isnull=True).order_by("name"))
    ids = [pk for role, caps in CAPABILITIES.items() if action in caps for pk in assigned_place_ids(user, role)]
    places = list(Place.objects.filter(pk__in=ids).order_by("tree_id", "lft"))
    # A place inside another home place adds nothing.
    return [
        p for p in places if not any(o is not p and o.tree_id == p.tree_id and o.lft < p.lft < o.rght for o in places)
    ]


def chosen_place(request, action: str, *, param: str = "place", homes: list[Place] | None = None) -> Place | None:
    """The place named by ``?place=`` if the user may ``action`` there (404 otherwise), else their first home place.

    ``homes``: ``home_places(request.user, action)`` when the caller has read them already.
    """
    value = request.GET.get(param, "")
    if value:
        if not value.isdigit():
            raise Http404
        place = Place.objects.restrict(request.user, action).filter(pk=int(value), kind__in=SCOPE_KINDS).first()
        if place is None:
            raise Http404
        return place
    found = home_places(request.user, action) if homes is None else homes
    in_scope = [p for p in found if p.kind in SCOPE_KINDS]
    if in_scope:
        return in_scope[0]
    return found[0].estate if found and found[0].estate_id else None


def place_crumbs(user, place: Place, action: str, url_name: str = "dashboard", extra: dict | None = None) -> list[dict]:
    """Breadcrumbs from the highest place the user may open down to ``place``: no link the user cannot follow."""
    chain = [*place.get_ancestors(), place]
    open_ids = set(
        Place.objects.restrict(user, action).filter(pk__in=[p.pk for p in chain]).values_list("pk", flat=True)
    )
    crumbs = []
    for p in chain:
        if p.pk not in open_ids:
            continue
        query = urlencode({"place": p.pk, **(extra or {})})
        crumbs.append({"name": p.name, "url": f"{reverse(url_name)}?{query}"})
    return crumbs

"""A place's page: the coverage of its subtree, its gaps, and who holds several posts (一肩挑).

The home page of every role is the web layer's (``web/views/workspace.py``), which reads all apps.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from governance import selectors
from governance.models import Place, PlaceKind
from governance.scoping import Action


def _crumbs(user, place: Place) -> list[dict]:
    """The place's ancestors the user may open, linked; the others are left out (no link that answers 404)."""
    ancestors = list(place.get_ancestors())
    open_ids = set(
        Place.objects.restrict(user, Action.VIEW_PUBLIC)
        .filter(pk__in=[a.pk for a in ancestors])
        .values_list("pk", flat=True)
    )
    crumbs = [{"name": a.name, "url": reverse("place-detail", args=[a.pk])} for a in ancestors if a.pk in open_ids]
    return [*crumbs, {"name": place.name, "url": ""}]


@login_required
def place_detail(request, pk: int):
    place = get_object_or_404(Place.objects.restrict(request.user, Action.VIEW_PUBLIC), pk=pk)
    context = {"place": place, "crumbs": _crumbs(request.user, place)}
    if place.kind not in (PlaceKind.COMPLEX, PlaceKind.BUILDING):
        context["coverage"] = selectors.coverage(place)
    if Place.objects.filter(pk=pk).restrict(request.user, Action.VIEW).exists():
        context["holders"] = selectors.multi_post_holders(place)
        context["secretary_chair"] = selectors.secretary_chair_share(place)
    return render(request, "governance/place_detail.html", context)

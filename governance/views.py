"""The secretary's dashboard: the scope's coverage, its gaps, and who holds several posts."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from governance import selectors
from governance.models import Place, PlaceKind
from governance.scoping import Action, assigned_place_ids, is_unrestricted


def _home_places(user):
    if is_unrestricted(user):
        return list(Place.objects.filter(parent__isnull=True))
    return list(Place.objects.filter(pk__in=assigned_place_ids(user)).order_by("tree_id", "lft"))


@login_required
def dashboard(request):
    places = _home_places(request.user)
    return render(request, "governance/dashboard.html", {"places": places})


@login_required
def place_detail(request, pk: int):
    place = get_object_or_404(Place.objects.restrict(request.user, Action.VIEW_PUBLIC), pk=pk)
    context = {"place": place, "ancestors": place.get_ancestors()}
    if place.kind not in (PlaceKind.COMPLEX, PlaceKind.BUILDING):
        context["coverage"] = selectors.coverage(place)
    if Place.objects.filter(pk=pk).restrict(request.user, Action.VIEW).exists():
        context["holders"] = selectors.multi_post_holders(place)
        context["secretary_chair"] = selectors.secretary_chair_share(place)
    return render(request, "governance/place_detail.html", context)

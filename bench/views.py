"""The floors: the plainest views that return the same rows, or write one row, for the benchmarks to beat."""

import json

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from residents.models import PropertyUnit

UNIT_FIELDS = (
    "id",
    "estate",
    "building",
    "building__name",
    "stairway",
    "room",
    "use",
    "registered_area",
    "surveyed_area",
    "contract_area",
    "area",
    "area_source",
    "delivered",
)


def units_floor(request):
    """The same page of the same estate's units as the API's list, with ``.values()``: no scope, no count."""
    size = int(request.GET.get("page_size", 50))
    page = int(request.GET.get("page", 1))
    rows = list(
        PropertyUnit.objects.filter(estate_id=int(request.GET["estate"]))
        .order_by("building_id", "stairway", "room", "pk")
        .values(*UNIT_FIELDS)[(page - 1) * size : page * size]
    )
    return JsonResponse({"results": rows}, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def insert_floor(request):
    """One INSERT per request into a table of the same width as a ballot: the floor of any write endpoint."""
    body = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_insert_floor (vote_id, choice, body) VALUES (%s, %s, %s)",
            [int(body.get("vote", 0)), str(body.get("choice", ""))[:8], json.dumps(body)],
        )
    return HttpResponse(status=201)

"""The API's filter backend: django-filter's, without its form when every filter given is a plain id.

django-filter validates a request's filters by building a form: it deep-copies the filterset's filters
and the form's fields on every request, for a list filtered by nothing more than an estate's id as much
as for one with six filters (a fifth of the scoped units list's time, issue 13). ``FilterBackend``
applies the filters itself when all of these hold, and otherwise hands the request to django-filter:

- every query parameter is either a filter of the filterset that is a plain id (a ``NumberFilter``
  read by an ``IntegerField``, exact lookup, no ``method``, no extra validators), given once, as
  1-18 ASCII digits, or one of the parameters that other parts of the view read (the page, the page
  size, the ordering, the search, the format) and that names no filter;
- no filter of the filterset is required, and the filterset keeps django-filter's own
  ``filter_queryset`` and ``qs``.

Then the form could only have cleaned each value to ``int(value)``, found no error, and applied each
filter's ``filter()`` to it: the backend does exactly that, with the filterset's own filter objects.
Anything else (a value that is not plain digits, which django-filter answers with a 400 and
Django's message; a filter that is not a plain id; a parameter it does not know, which may feed a
range's widget) takes django-filter's path, so every answer stays django-filter's.
"""

from __future__ import annotations

import re
from functools import cache

from django import forms
from django_filters import filterset as django_filterset
from django_filters.filters import NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.settings import api_settings

PLAIN_ID = re.compile(r"[0-9]{1,18}")
_VALIDATING = {"min_value", "max_value", "validators"}


def _plain_id(filter_) -> bool:
    return (
        isinstance(filter_, NumberFilter)
        and filter_.field_class is forms.IntegerField
        and filter_.lookup_expr == "exact"
        and filter_.method is None
        and not _VALIDATING & filter_.extra.keys()
    )


@cache
def plain_id_filters(filterset_class) -> dict | None:
    """The filterset's plain-id filters by name, or None where the form must always run."""
    base = django_filterset.BaseFilterSet
    if filterset_class.filter_queryset is not base.filter_queryset or filterset_class.qs is not base.qs:
        return None
    if any(f.extra.get("required") for f in filterset_class.base_filters.values()):
        return None
    return {name: f for name, f in filterset_class.base_filters.items() if _plain_id(f)}


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, applying plain-id filters without a form (see the module).

    A view that declares ``filterset_fields`` gets one filterset class, built on its first request:
    django-filter's backend built a new class (and its filters) on every request.
    """

    _built: dict[tuple, type] = {}

    def get_filterset_class(self, view, queryset=None):
        fields = getattr(view, "filterset_fields", None)
        if getattr(view, "filterset_class", None) or not fields or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model, repr(fields))
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = super().get_filterset_class(view, queryset)
        return built

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        plain = self._plain_values(request, view, filterset_class)
        if plain is None:
            return super().filter_queryset(request, queryset, view)
        queryset = queryset.all()
        for filter_, value in plain:
            queryset = filter_.filter(queryset, value)
        return queryset

    @staticmethod
    def _plain_values(request, view, filterset_class) -> list | None:
        """(filter, int) for each filter the request gives, when all are plain ids; None to run the form."""
        filters = plain_id_filters(filterset_class)
        if filters is None:
            return None
        others = _other_parameters(view)
        if others & filterset_class.base_filters.keys():
            return None
        values = []
        params = request.query_params
        for name in params:
            if name in others:
                continue
            given = params.getlist(name)
            if name not in filters or len(given) != 1 or not PLAIN_ID.fullmatch(given[0]):
                return None
            values.append((filters[name], int(given[0])))
        return values


def _other_parameters(view) -> set[str]:
    """The query parameters that the view's paginator, ordering, search and format read."""
    names = {api_settings.ORDERING_PARAM, api_settings.SEARCH_PARAM, api_settings.URL_FORMAT_OVERRIDE}
    paginator = getattr(view, "paginator", None)
    for attr in ("page_query_param", "page_size_query_param", "limit_query_param", "offset_query_param"):
        name = getattr(paginator, attr, None)
        if name:
            names.add(name)
    names.discard(None)
    return names

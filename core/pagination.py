from django.db.models import Func, IntegerField, Subquery
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_rows(self, queryset, columns, request, view=None) -> list[tuple] | None:
        """The page's rows as ``values_list(*columns)`` tuples, with the exact count read in the same query.

        The count rides on the page query as an uncorrelated scalar subquery (evaluated once, in the
        same snapshot as the rows): one round trip where ``paginate_queryset`` takes two. A page that
        comes back empty, a page number that is not a plain whole number (``last``, ``0``, ``x``) and a
        query the count cannot simply wrap (``DISTINCT``, grouped, combined) take the general path, so
        every answer, its count and its 404s are those of ``paginate_queryset``.

        A view whose ``kept_count()`` returns an expression (a count the database keeps exact, read in
        the same snapshot) has it read in place of counting the rows; ``None`` counts them.
        """
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        number = _whole_number(request.query_params.get(self.page_query_param) or 1)
        query = queryset.query
        if number is None or number < 1 or query.distinct or query.combinator or query.group_by is not None:
            return self.paginate_queryset(queryset.values_list(*columns), request, view)
        kept = getattr(view, "kept_count", None)
        total = kept() if kept is not None else None
        if total is None:
            total = Subquery(
                queryset.order_by()
                .annotate(_count=Func(template="COUNT(*)", output_field=IntegerField()))
                .values("_count")
            )
        bottom = (number - 1) * page_size
        found = list(queryset.annotate(_total=total).values_list(*columns, "_total")[bottom : bottom + page_size])
        if not found:
            return self.paginate_queryset(queryset.values_list(*columns), request, view)
        rows = [row[:-1] for row in found]
        paginator = self.django_paginator_class(rows, page_size)  # its count and page are set here, never sliced
        paginator.count = found[0][-1]  # Paginator.count is a cached property: the count read with the page
        self.page = paginator._get_page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows


def _whole_number(value) -> int | None:
    """``value`` as Django's paginator reads a page number (``int()``), or None where it would not."""
    if isinstance(value, float) and not value.is_integer():
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

"""The viewset base that every scoped API view uses: the one way a queryset is scoped.

A view declares ``queryset`` and, where they differ from the defaults:

- ``read_action``: the right that lets a user read rows in their scope (``view``);
- ``public_filter``: rows that users with only ``view_public`` in the row's estate may read
  too (published minutes, for instance);
- ``also_visible(user)``: rows a user may read for a reason other than their roles' scope
  (their own units, the spending requests they must sign);
- ``scope_path``: how a row reaches its place, when not the model's own ``scope_path``;
- ``pinned_estate_param``: a list's query parameter that keeps the rows of one estate by the
  very column the scope matches (the model's ``scope_estate_field``, by id, as ``IdFilter``
  does): when that estate is wholly in the scope, the list needs no scope filter at all.

The filter is one ``WHERE`` over the place tree's ``(tree_id, lft)`` ranges, so an object
outside the scope answers 404, like a missing one. Whether a user may *write* is decided by
the write service, not here.
"""

from django.db.models import Q
from django.http import Http404
from rest_framework import viewsets

from governance.scoping import EVERYWHERE, Action, estate_wholly_in_scope, scope_filter


class ScopedViewSetMixin:
    """Filter the declared queryset to what the user may read."""

    read_action = Action.VIEW
    public_filter: Q | None = None
    scope_path: str | None = None
    distinct = False
    pinned_estate_param: str | None = None

    def also_visible(self, user) -> Q | None:
        return None

    def scope_filter(self):
        """The ``Q`` of the rows the requesting user may read, or ``EVERYWHERE``."""
        user = self.request.user
        model = self.queryset.model
        q = scope_filter(model, user, self.read_action, self.scope_path)
        if q is EVERYWHERE:
            return EVERYWHERE
        if self.public_filter is not None:
            public = scope_filter(model, user, Action.VIEW_PUBLIC, self.scope_path)
            if public is EVERYWHERE:
                return EVERYWHERE
            q |= public & self.public_filter
        extra = self.also_visible(user)
        if extra is not None:
            q |= extra
        return q

    def get_object_for(self, action: str):
        """The view's object, answering 404 unless the user may also do ``action`` where it is (a stronger read)."""
        obj = self.get_object()
        if not type(obj).objects.filter(pk=obj.pk).restrict(self.request.user, action).exists():
            raise Http404
        return obj

    def _pinned_estate_in_scope(self) -> bool:
        """Whether the list is filtered to one estate whose rows are all in the user's scope.

        The filter keeps ``column = id``; the scope is ``column IN (scope's estates) OR …``. With
        the id among those estates the scope adds nothing for these rows, so it is left out: the
        same rows, and a count the estate index answers alone (issue 13). An id that is not a
        plain whole number keeps the scope (the filterset refuses it anyway).
        """
        if self.pinned_estate_param is None or getattr(self, "action", None) != "list":
            return False
        try:
            estate_id = int(self.request.query_params.get(self.pinned_estate_param, ""))
        except ValueError:
            return False
        model = self.queryset.model
        return estate_wholly_in_scope(model, self.request.user, self.read_action, estate_id, self.scope_path)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self._pinned_estate_in_scope():
            return queryset
        q = self.scope_filter()
        if q is EVERYWHERE:
            return queryset
        queryset = queryset.filter(q)
        return queryset.distinct() if self.distinct else queryset


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass

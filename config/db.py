"""Reads that may lag go to the replica; everything else stays on the primary.

With ``DATABASE_REPLICA_URL`` set, the database alias ``replica`` is a streaming replica of
``default``. Nothing reads from it unless asked: inside ``replica_reads()`` (a context manager and
decorator) reads go to the replica, and ``ReplicaReadsMiddleware`` asks for it around the pages
named in ``settings.REPLICA_URL_NAMES`` (dashboards and reports, whose figures may be a second
old). Writes always go to the primary, and so does every read inside a transaction on it (the
code that writes reads what it just wrote), every read outside those pages, and every read when
no replica is configured.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools

from django.conf import settings
from django.db import connections

_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("gongzhi_use_replica", default=False)

REPLICA = "replica"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class replica_reads(contextlib.ContextDecorator):
    """Send the reads of the enclosed block to the replica (when there is one)."""

    def __enter__(self):
        self._token = _use_replica.set(True)
        return self

    def __exit__(self, *exc):
        _use_replica.reset(self._token)
        return False


class ReplicaRouter:
    """Route reads to the replica only inside ``replica_reads()`` and outside a transaction on the primary."""

    def db_for_read(self, model, **hints):
        if not _use_replica.get() or not replica_configured():
            return None
        if connections["default"].in_atomic_block:
            return None  # a writer reading what it wrote
        return REPLICA

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both aliases hold the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema by replication


class ReplicaReadsMiddleware:
    """Read from the replica while a page named in ``settings.REPLICA_URL_NAMES`` answers a GET."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method not in ("GET", "HEAD") or match is None:
            return None
        if match.view_name in settings.REPLICA_URL_NAMES:
            return _replica_view(view_func)(request, *view_args, **view_kwargs)
        return None


def _replica_view(view_func):
    @functools.wraps(view_func)
    def wrapped(request, *args, **kwargs):
        with replica_reads():
            response = view_func(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                response.render()  # templates read lazily: render while the replica is in use
            return response

    return wrapped

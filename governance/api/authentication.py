"""The API's token authentication: the token, its user and the user's scope in one query (issue 13)."""

from __future__ import annotations

from django.db import connections, router
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from governance import scoping

# DRF's own messages, looked up in DRF's catalogue: passed as names so that makemessages does not copy
# them into ours, and the answers stay word for word those of DRF's TokenAuthentication.
_INVALID_TOKEN = "Invalid token."
_USER_INACTIVE = "User inactive or deleted."


class ScopedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, reading the user's role assignments with the token and its user.

    Every scoped API request needs the assignments (``governance.scoping``), and read apart they were
    a second round trip. One query joins the token, its user and ``scoping.assignments_sql`` — the
    same SQL ``scoping`` reads them with — and the answer is kept on the user object as ``scoping``
    keeps its own read, for this request only. The header's parsing, the messages and the
    ``WWW-Authenticate`` header are DRF's: only ``authenticate_credentials`` is replaced. Off
    PostgreSQL it is DRF's, and the scope is read when first needed.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        connection = connections[router.db_for_read(model)]
        if connection.vendor != "postgresql":
            return super().authenticate_credentials(key)
        query = _TokenQuery.for_connection(model, connection)
        with connection.cursor() as cursor:
            cursor.execute(query.sql, [*query.params, key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(gettext_lazy(_INVALID_TOKEN))
        token, user = query.objects(rows[0])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(gettext_lazy(_USER_INACTIVE))
        # A user without roles has one row, its assignment's columns NULL (the LEFT JOIN).
        scope_rows = [row[query.scope_start :] for row in rows if row[query.scope_start + 1] is not None]
        scoping.remember_assignments(user, scoping.assignments_from_rows(scope_rows))
        return (user, token)


class _TokenQuery:
    """The SQL of one token with its user and the user's assignments, and how to build the objects from a row.

    Built once per token model and database alias: the statement does not change between requests.
    """

    _built: dict[tuple[type, str], _TokenQuery] = {}

    @classmethod
    def for_connection(cls, model, connection) -> _TokenQuery:
        key = (model, connection.alias)
        if key not in cls._built:
            cls._built[key] = cls(model, connection)
        return cls._built[key]

    def __init__(self, model, connection):
        quote = connection.ops.quote_name
        self.alias = connection.alias
        self.model = model
        self.user_field = model._meta.get_field("user")
        self.user_model = self.user_field.related_model
        self.token_fields = model._meta.concrete_fields
        self.user_fields = self.user_model._meta.concrete_fields
        self.token_converters = _converters(self.token_fields, connection)
        self.user_converters = _converters(self.user_fields, connection)
        columns = [f"t.{quote(f.column)}" for f in self.token_fields]
        columns += [f"u.{quote(f.column)}" for f in self.user_fields]
        scope_sql, self.params = scoping.assignments_sql(connection, f"t.{quote(self.user_field.column)}")
        # The lateral subquery is scoping's read as it stands, per the token's user; ordered as scoping orders it.
        self.sql = (
            f"SELECT {', '.join(columns)}, s.* FROM {quote(model._meta.db_table)} t"
            f" JOIN {quote(self.user_model._meta.db_table)} u"
            f" ON u.{quote(self.user_model._meta.pk.column)} = t.{quote(self.user_field.column)}"
            f" LEFT JOIN LATERAL ({scope_sql}) s ON TRUE"
            f" WHERE t.{quote(model._meta.get_field('key').column)} = %s ORDER BY s.assignment_id"
        )
        self.scope_start = len(self.token_fields) + len(self.user_fields)

    def objects(self, row):
        """The token and its user from the row's first columns, as ``select_related("user")`` builds them."""
        split = len(self.token_fields)
        token_values = _convert(row[:split], self.token_converters, self.alias)
        user_values = _convert(row[split : self.scope_start], self.user_converters, self.alias)
        token = self.model.from_db(self.alias, [f.attname for f in self.token_fields], token_values)
        user = self.user_model.from_db(self.alias, [f.attname for f in self.user_fields], user_values)
        self.user_field.set_cached_value(token, user)
        if self.user_field.one_to_one:
            self.user_field.remote_field.set_cached_value(user, token)
        return token, user


def _converters(fields, connection):
    """Each field's conversions of a database value, as the ORM applies them; None when no field has any."""
    columns = [field.get_col("t") for field in fields]
    converters = [(col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)) for col in columns]
    return converters if any(functions for _col, functions in converters) else None


def _convert(values, converters, alias):
    if converters is None:
        return values
    connection = connections[alias]
    converted = []
    for value, (col, functions) in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, col, connection)
        converted.append(value)
    return converted

"""Who may do what where: roles grant actions over the subtree of the place they are assigned to.

Every scoped model's queryset has ``restrict(user, action)`` (and ``visible_to(user)``,
its reading form), written once here. A model says how it reaches its place with
``scope_path``: ``""`` for a place itself, ``"place__"`` for a model with a ``place``
foreign key, ``"building__"`` and so on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, Q
from django.db.models.lookups import In
from django.utils.translation import gettext as _

from core.errors import NotPermitted

if TYPE_CHECKING:
    from governance.models import Place, User


class Action:
    VIEW = "view"  # read everything in scope
    VIEW_PUBLIC = "view_public"  # read the estate's structure and public notices
    VIEW_PERSONAL = "view_personal"  # see whole ID and phone numbers
    CHANGE = "change"  # create, update, move (the committee's records: meetings, ledger, spending, projects)
    # Keep the register and the trees: units and their areas, owners and ownerships, residents, party members,
    # places, party organizations and their posts. Areas and owners weigh every vote, the committee's own
    # re-election included, so the community keeps them, not the committee (issue 10's permission matrix).
    KEEP_REGISTER = "keep_register"
    GRANT = "grant"  # give roles inside the scope
    RUN_VOTE = "run_vote"  # open, advance and close votes
    ENTER_BALLOT = "enter_ballot"  # enter paper and phone ballots
    VOTE = "vote"  # cast one's own ballot
    REVIEW = "review"  # the discipline committee's reviews
    AUDIT = "audit"  # pull reports and exports


CAPABILITIES: dict[str, frozenset[str]] = {
    "district_auditor": frozenset({Action.VIEW, Action.VIEW_PUBLIC, Action.VIEW_PERSONAL, Action.AUDIT}),
    "discipline_reviewer": frozenset({Action.VIEW, Action.VIEW_PUBLIC, Action.REVIEW}),
    "street_staff": frozenset(
        {
            Action.VIEW,
            Action.VIEW_PUBLIC,
            Action.VIEW_PERSONAL,
            Action.CHANGE,
            Action.KEEP_REGISTER,
            Action.GRANT,
            Action.RUN_VOTE,
        }
    ),
    "community_secretary": frozenset(
        {
            Action.VIEW,
            Action.VIEW_PUBLIC,
            Action.VIEW_PERSONAL,
            Action.CHANGE,
            Action.KEEP_REGISTER,
            Action.GRANT,
            Action.RUN_VOTE,
        }
    ),
    "committee_member": frozenset({Action.VIEW, Action.VIEW_PUBLIC, Action.CHANGE}),
    "clerk": frozenset({Action.VIEW_PUBLIC, Action.ENTER_BALLOT}),
    "resident": frozenset({Action.VIEW_PUBLIC, Action.VOTE}),
}

# Which roles each role may grant (issue 10 item 3), inside the subtree where it holds that role.
# The operational roles form a ladder, highest first; each grants only the rungs below its own.
# The oversight roles (the district auditor, the street's discipline reviewer) watch that ladder,
# so nobody on it may make one: only a superuser grants them. Neither oversight role grants anything.
ROLE_LADDER = ("street_staff", "community_secretary", "committee_member", "clerk", "resident")
OVERSIGHT_ROLES = ("district_auditor", "discipline_reviewer")
GRANTABLE: dict[str, frozenset[str]] = {
    role: frozenset(ROLE_LADDER[rung + 1 :])
    for rung, role in enumerate(ROLE_LADDER)
    if Action.GRANT in CAPABILITIES[role]
}

Range = tuple[int, int, int]  # tree_id, lft, rght of a place whose subtree is in scope
Assignment = tuple[str, int, int, int, int]  # role, place id, and the place's tree_id, lft, rght


def _assignments(user: User) -> list[Assignment]:
    cached = getattr(user, "_gongzhi_assignments", None)
    if cached is None:
        cached, estates = _read_assignments(user)
        user._gongzhi_assignments = cached
        user._gongzhi_range_estates = estates
    return cached


def _read_assignments(user: User) -> tuple[list[Assignment], dict[Range, list[int]]]:
    """The user's role assignments with their places' ranges, and the estates inside each range, in one query.

    Reading the estates of the scope with the assignments saves a scoped list a round trip (issue 13);
    a range with no estate inside (a role over one building or complex) maps to an empty list.
    """
    from django.db import connections, router

    from governance.models import Place, PlaceKind, RoleAssignment  # governance.models imports this module

    # Through the router, as the ORM's read was (the replica serves the pages named for it).
    connection = connections[router.db_for_read(RoleAssignment)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql, params = assignments_sql(connection, "%s")
            cursor.execute(f"{sql} ORDER BY assignment_id", [*params, user.pk])
            return assignments_from_rows(cursor.fetchall())
        place = connection.ops.quote_name(Place._meta.db_table)
        assignment = connection.ops.quote_name(RoleAssignment._meta.db_table)
        cursor.execute(
            f"SELECT e.id, a.id, a.role, a.place_id, p.tree_id, p.lft, p.rght FROM {assignment} a"
            f" JOIN {place} p ON p.id = a.place_id LEFT JOIN {place} e ON {_ESTATE_IN_RANGE}"
            " WHERE a.user_id = %s ORDER BY a.id",
            [PlaceKind.ESTATE.value, user.pk],
        )
        rows = []
        for estate_id, *rest in cursor.fetchall():
            if rows and rows[-1][1] == rest[0]:
                rows[-1][0].append(estate_id)
            else:
                rows.append(([] if estate_id is None else [estate_id], *rest))
    return assignments_from_rows(rows)


_ESTATE_IN_RANGE = "e.kind = %s AND e.tree_id = p.tree_id AND e.lft >= p.lft AND e.lft <= p.rght"


def assignments_sql(connection, user_id: str) -> tuple[str, list]:
    """The SQL reading the role assignments of the user whose id is the SQL expression ``user_id`` (PostgreSQL).

    One row per assignment: ``estate_ids`` (the estates inside its place's range, as an array: a
    district's 200 estates as 200 joined rows took six times as long to read), ``assignment_id``,
    ``role``, ``place_id``, ``tree_id``, ``lft``, ``rght`` — the rows ``assignments_from_rows`` reads.
    With no ``ORDER BY``: the caller orders by ``assignment_id``. ``_read_assignments`` and the API's
    token authentication (``governance.api.authentication``, which joins it to the token and its user
    in one query) both read the scope through it, so they cannot read different rows.
    """
    from governance.models import Place, PlaceKind, RoleAssignment  # governance.models imports this module

    place = connection.ops.quote_name(Place._meta.db_table)
    assignment = connection.ops.quote_name(RoleAssignment._meta.db_table)
    sql = (
        f"SELECT ARRAY(SELECT e.id FROM {place} e WHERE {_ESTATE_IN_RANGE}) AS estate_ids,"
        " a.id AS assignment_id, a.role, a.place_id, p.tree_id, p.lft, p.rght"
        f" FROM {assignment} a JOIN {place} p ON p.id = a.place_id WHERE a.user_id = {user_id}"
    )
    return sql, [PlaceKind.ESTATE.value]


def assignments_from_rows(rows) -> tuple[list[Assignment], dict[Range, list[int]]]:
    """The assignments and the estates of each range from ``assignments_sql``'s rows, in assignment order."""
    assignments: list[Assignment] = []
    estates: dict[Range, dict[int, None]] = {}  # dicts as ordered sets: two roles over one place share a range
    for estate_ids, _assignment_id, role, place_id, tree_id, lft, rght in rows:
        assignments.append((role, place_id, tree_id, lft, rght))
        estates.setdefault((tree_id, lft, rght), {}).update(dict.fromkeys(estate_ids))
    return assignments, {key: list(ids) for key, ids in estates.items()}


def remember_assignments(user: User, read: tuple[list[Assignment], dict[Range, list[int]]]) -> None:
    """Keep ``read`` (``assignments_from_rows``'s answer) as ``user``'s scope for this request.

    For the API's token authentication, which reads the scope with the token; the user object
    lives for one request, so a role granted or withdrawn is seen by the next one.
    """
    forget_scope(user)
    user._gongzhi_assignments, user._gongzhi_range_estates = read


def forget_scope(user: User) -> None:
    """Drop the cached role assignments of ``user`` (after its roles changed)."""
    user.__dict__.pop("_gongzhi_assignments", None)
    user.__dict__.pop("_gongzhi_range_estates", None)
    user.__dict__.pop("_gongzhi_estates", None)


def is_unrestricted(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


class _System:
    """The platform acting on its own: a beat job, a task, a management command, a signal receiver.

    Write services accept it in place of a user, skip the rights check for it, and record it
    in the audit trail as the system. Only code that no person drives passes it.
    """

    is_authenticated = False
    is_superuser = False
    is_anonymous = False
    pk = None
    username = "system"

    def __repr__(self) -> str:
        return "SYSTEM"

    def __bool__(self) -> bool:
        return True


SYSTEM = _System()


def acting_user(actor) -> User | None:
    """The user behind ``actor`` for a "who did it" column; ``None`` for the system or an anonymous voter."""
    return actor if getattr(actor, "is_authenticated", False) else None


def require(actor, action: str, place: Place | None, message: str | None = None) -> None:
    """Refuse (HTTP 403) unless ``actor`` may do ``action`` at ``place``; the system may do anything.

    Every write service calls this before it writes, so that the API, the admin, the web
    pages and the commands cannot disagree on who may do what. ``None`` is never an actor:
    a caller that forgot to say who acts is refused rather than let through.
    """
    if actor is SYSTEM:
        return
    if actor is None:
        raise NotPermitted(_("没有指明操作人，操作被拒绝。"), code="no_actor")
    if not can(actor, action, _as_stored(place)):
        if message is None:
            message = (
                _("您无权在“%(place)s”执行此操作。") % {"place": place.name}
                if place is not None
                else _("您无权执行此操作。")
            )
        raise NotPermitted(message)


def _as_stored(place: Place | None) -> Place | None:
    """``place`` with its tree position as stored now: an instance loaded before a tree write holds stale numbers."""
    if place is None or place.pk is None:
        return place
    from governance.models import Place  # governance.models imports this module

    return Place.objects.only("pk", "name", "tree_id", "lft", "rght").get(pk=place.pk)


def require_unrestricted(actor, message: str) -> None:
    """Refuse (HTTP 403) unless ``actor`` is a superuser or the system: for writes above every scope."""
    if actor is SYSTEM or is_unrestricted(actor):
        return
    if actor is None:
        raise NotPermitted(_("没有指明操作人，操作被拒绝。"), code="no_actor")
    raise NotPermitted(message)


def may_grant(actor, role: str, place: Place) -> bool:
    """Whether ``actor`` may grant (or withdraw) ``role`` over ``place``: a role below one of theirs, in its subtree."""
    if actor is SYSTEM or is_unrestricted(actor):
        return True
    if not actor or not actor.is_authenticated:
        return False
    place = _as_stored(place)
    return any(
        role in GRANTABLE.get(held, ()) and tree_id == place.tree_id and lft <= place.lft <= rght
        for held, _place_id, tree_id, lft, rght in _assignments(actor)
    )


def scope_ranges(user: User, action: str) -> list[Range] | None:
    """Return the subtrees in which ``user`` may do ``action``; ``None`` means everywhere."""
    if not user or not user.is_authenticated:
        return []
    if is_unrestricted(user):
        return None
    return [
        (tree_id, lft, rght)
        for role, _place_id, tree_id, lft, rght in _assignments(user)
        if action in CAPABILITIES.get(role, ())
    ]


def assigned_place_ids(user: User, role: str | None = None) -> list[int]:
    return [place_id for r, place_id, *_rest in _assignments(user) if role is None or r == role]


def range_q(tree_id: int, lft: int, rght: int, prefix: str = "") -> Q:
    """Match rows whose place (reached through ``prefix``) lies in the subtree spanning ``lft``–``rght``."""
    return Q(**{f"{prefix}tree_id": tree_id, f"{prefix}lft__gte": lft, f"{prefix}lft__lte": rght})


def subtree_q(place: Place, prefix: str = "") -> Q:
    """Match rows whose place (reached through ``prefix``) lies in the subtree of ``place``, itself included."""
    return range_q(place.tree_id, place.lft, place.rght, prefix)


def scope_q(ranges: list[Range], prefix: str) -> Q:
    """A filter matching objects whose place lies in one of ``ranges``."""
    q = Q(pk__in=[])
    for tree_id, lft, rght in ranges:
        q |= range_q(tree_id, lft, rght, prefix)
    return q


def can(user: User, action: str, place: Place | None) -> bool:
    """Whether ``user`` may do ``action`` at ``place`` (``None``: anywhere at all)."""
    if user is SYSTEM:
        return True
    ranges = scope_ranges(user, action)
    if ranges is None:
        return True
    if place is None:
        return bool(ranges)
    return any(t == place.tree_id and lft <= place.lft <= rght for t, lft, rght in ranges)


EVERYWHERE = object()  # the scope of a superuser: no filter at all


def _estates_in(user: User, ranges: list[Range]) -> tuple[list[int], list[Range]]:
    """The ids of the estates inside ``ranges``, and the ranges that hold no estate (roles over a building).

    Read with the role assignments (``_read_assignments``), so without a query of its own: the
    estate filter it feeds is an index condition on the rows' estate column, where the range
    filter would join the place table and count the whole scope through it.
    """
    _assignments(user)
    by_range = user.__dict__.get("_gongzhi_range_estates")
    if by_range is None or any(r not in by_range for r in ranges):
        return _estates_queried(user, ranges)
    estate_ids: dict[int, None] = {}
    for r in ranges:
        estate_ids.update(dict.fromkeys(by_range[r]))
    return list(estate_ids), [r for r in ranges if not by_range[r]]


def _estates_queried(user: User, ranges: list[Range]) -> tuple[list[int], list[Range]]:
    """``_estates_in`` for ranges that are not the user's own assignments': one query, kept for the request."""
    key = tuple(sorted(ranges))
    cache = user.__dict__.setdefault("_gongzhi_estates", {})
    if key not in cache:
        from governance.models import Place, PlaceKind  # governance.models imports this module

        estates = list(
            Place.objects.filter(scope_q(ranges, ""), kind=PlaceKind.ESTATE).values_list("pk", "tree_id", "lft")
        )
        empty = [r for r in ranges if not any(t == r[0] and r[1] <= lft <= r[2] for _pk, t, lft in estates)]
        cache[key] = ([pk for pk, _t, _lft in estates], empty)
    return cache[key]


def _estate_field(model, path: str) -> str | None:
    """The lookup of the row's estate when ``path`` reaches its place through one, else None.

    A path ending in ``estate__`` reaches an estate; a model may also name an estate column
    that always holds its place's estate (``scope_estate_field``: a unit's estate beside its
    building), used when it is scoped by its own ``scope_path``.
    """
    if path.endswith("estate__"):
        return path[: -len("__")]
    # A model scoped only through a path given by the caller (the users, by their roles) declares no scope_path.
    if path == getattr(model, "scope_path", None):
        return getattr(model, "scope_estate_field", None)
    return None


def scope_filter(model, user: User, action: str, path: str | None = None):
    """The filter of ``model`` rows in which ``user`` may do ``action``: a ``Q``, or ``EVERYWHERE``.

    ``path`` is how a row reaches its place (the model's ``scope_path`` unless given). Rows that
    reach their place through an estate are matched by the estate's id among the estates in
    scope (an index condition, no join to the place tree); ranges that hold no estate (a role
    over one building) keep the range filter on ``path``, so the rows matched are the same.
    """
    ranges = scope_ranges(user, action)
    if ranges is None:
        return EVERYWHERE
    path = model.scope_path if path is None else path
    estate_field = _estate_field(model, path) if ranges else None
    if estate_field is None:
        return scope_q(ranges, path)
    estate_ids, without_estates = _estates_in(user, ranges)
    q = _estates_q(estate_field, estate_ids)
    for tree_id, lft, rght in without_estates:
        q |= range_q(tree_id, lft, rght, path)
    return q


def estate_wholly_in_scope(model, user: User, action: str, estate_id: int, path: str | None = None) -> bool:
    """Whether every ``model`` row of the estate ``estate_id`` is in ``user``'s scope for ``action``.

    True when the scope matches ``model`` rows by their estate column (``scope_filter``'s estate
    filter) and the estate is among the scope's estates, or when the scope is everywhere: a list
    already filtered to that estate by the same column then needs no scope filter, the rows being
    the same (issue 13: the scope's ``OR`` with the user's own units kept the count off the index).
    """
    ranges = scope_ranges(user, action)
    if ranges is None:
        return True
    path = model.scope_path if path is None else path
    if not ranges or _estate_field(model, path) is None:
        return False
    estate_ids, _without_estates = _estates_in(user, ranges)
    return estate_id in estate_ids


class _InArray(In):
    """``IN`` a list of ids; on PostgreSQL ``= ANY(%s)`` with the whole list as one array parameter.

    Each id of an ``IN (...)`` list is a parameter of its own, which Django prepares and psycopg splits
    out of the statement again: a district's 200 estates, twice in a list's page-and-count query, cost
    about a millisecond per request (issue 13). The plan is the same: PostgreSQL reads ``IN`` as ``ANY``.
    """

    prepare_rhs = False  # ids already

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        column_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{column_type}[])", (*lhs_params, [int(pk) for pk in self.rhs])


def _estates_q(estate_field: str, estate_ids: list[int]) -> Q:
    if not estate_ids:
        return Q(pk__in=[])
    if "__" in estate_field:
        # An expression's joins are not promoted inside an OR as a lookup's are: keep the plain lookup.
        return Q(**{f"{estate_field}__in": estate_ids})
    return Q(_InArray(F(estate_field), estate_ids))


class ScopedQuerySetMixin:
    """Adds ``restrict`` and ``visible_to`` to a queryset of a model that declares ``scope_path``."""

    def restrict(self, user: User, action: str = Action.VIEW):
        q = scope_filter(self.model, user, action)
        return self if q is EVERYWHERE else self.filter(q)

    def visible_to(self, user: User):
        return self.restrict(user, Action.VIEW)

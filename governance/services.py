"""Writes of the governance layer: the two trees, people, posts and role assignments."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotPermitted
from governance.audit import audit_record
from governance.events import GovernanceEvent
from governance.models import (
    DistrictRule,
    Organization,
    OrgKind,
    Person,
    Place,
    PlaceKind,
    Post,
    PostBody,
    Role,
    RoleAssignment,
    User,
)
from governance.rules import rule, rule_refusal
from governance.scoping import Action, acting_user, can, forget_scope, require

ESTATE_LEVEL = (PlaceKind.ESTATE, PlaceKind.COMPLEX, PlaceKind.BUILDING)


def _lock_tree(model) -> None:
    """Serialise writes to one tree: mptt renumbers many rows on insert and move."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [model._meta.db_table])


def _refuse_parent(node, parent) -> None:
    refusal = node.parent_refusal(parent)
    if refusal:
        raise ApplicationError(refusal, code="illegal_nesting")


# Places ---------------------------------------------------------------------------------


def _estate_of(kind: str, parent: Place | None) -> Place | None:
    if kind in (PlaceKind.COMPLEX, PlaceKind.BUILDING) and parent is not None:
        return parent if parent.kind == PlaceKind.ESTATE else parent.estate
    return None


@transaction.atomic
def place_create(
    *, kind: str, name: str, parent: Place | None, actor, code: str = "", self_managed: bool = False
) -> Place:
    """Add a place under ``parent``, refusing a kind that may not sit there."""
    _lock_tree(Place)
    if parent is not None:
        parent.refresh_from_db()
    place = Place(kind=kind, name=name.strip(), parent=parent, code=code, self_managed=self_managed)
    _refuse_parent(place, parent)
    _refuse_duplicate_name(Place, place, parent)
    place.estate = _estate_of(kind, parent)
    place.save()
    if kind == PlaceKind.ESTATE:
        Place.objects.filter(pk=place.pk).update(estate=place)
        place.estate = place
    audit_record(actor=actor, action=GovernanceEvent.PLACE_CREATE, obj=place, place=place, summary=place.name)
    return place


def _refuse_duplicate_name(model, node, parent) -> None:
    siblings = model.objects.filter(parent=parent, name=node.name)
    if node.pk:
        siblings = siblings.exclude(pk=node.pk)
    if siblings.exists():
        raise Conflict(
            _("“%(parent)s”下已有名为“%(name)s”的节点。") % {"parent": parent or _("顶层"), "name": node.name},
            code="duplicate_name",
        )


@transaction.atomic
def place_update(*, place: Place, actor, **fields) -> Place:
    """Rename a place or change its code or self-management flag; its kind never changes."""
    _lock_tree(Place)
    for field in ("name", "code", "self_managed"):
        if field in fields:
            setattr(place, field, fields[field].strip() if field == "name" else fields[field])
    _refuse_duplicate_name(Place, place, place.parent)
    place.save()
    audit_record(
        actor=actor, action=GovernanceEvent.PLACE_UPDATE, obj=place, place=place, data={"fields": sorted(fields)}
    )
    return place


@transaction.atomic
def place_move(*, place: Place, parent: Place | None, actor) -> Place:
    """Move a place and its subtree under ``parent``."""
    _lock_tree(Place)
    place.refresh_from_db()
    if parent is not None:
        parent.refresh_from_db()
    _refuse_parent(place, parent)
    place.parent = parent
    _refuse_duplicate_name(Place, place, parent)
    place.save()
    if place.kind in (PlaceKind.COMPLEX, PlaceKind.BUILDING):
        estate = _estate_of(place.kind, parent)
        place.get_descendants(include_self=True).update(estate=estate)
        place.estate = estate
    audit_record(
        actor=actor,
        action=GovernanceEvent.PLACE_MOVE,
        obj=place,
        place=place,
        data={"parent": parent.pk if parent else None},
    )
    return place


@transaction.atomic
def place_delete(*, place: Place, actor) -> None:
    """Delete a place that nothing else hangs on."""
    _lock_tree(Place)
    if Place.objects.filter(parent=place).exists():
        raise Conflict(_("“%(name)s”下还有下级地点，不能删除。") % {"name": place.name}, code="has_children")
    pk, name = place.pk, place.name
    try:
        audit_record(actor=actor, action=GovernanceEvent.PLACE_DELETE, summary=name, data={"place": pk})
        if place.kind == PlaceKind.ESTATE:
            Place.objects.filter(pk=pk).update(estate=None)
        place.delete()
    except ProtectedError as exc:
        raise Conflict(
            _("“%(name)s”仍被其他记录引用（%(what)s），不能删除。") % {"name": name, "what": _referrers(exc)},
            code="in_use",
        ) from exc


def _referrers(exc: ProtectedError) -> str:
    return "、".join(sorted({str(o._meta.verbose_name) for o in exc.protected_objects}))


# Organizations --------------------------------------------------------------------------


def _check_org_place(org: Organization, parent: Organization | None) -> None:
    if refusal := org.place_refusal(parent):
        raise ApplicationError(refusal, code="illegal_place")


def _check_function(org: Organization) -> None:
    if refusal := org.function_refusal():
        raise ApplicationError(refusal, code="illegal_function")


def _set_buildings(org: Organization, buildings: Iterable[Place] | None) -> None:
    if org.kind != OrgKind.BUILDING_GROUP:
        if buildings:
            raise ApplicationError(_("只有楼栋党小组才覆盖楼栋。"), code="buildings_not_allowed")
        return
    if buildings is None:
        buildings = [org.place] if org.place.kind == PlaceKind.BUILDING else []
    buildings = list(buildings)
    for building in buildings:
        if building.kind != PlaceKind.BUILDING:
            raise ApplicationError(
                _("“%(name)s”不是楼栋，党小组只能覆盖楼栋。") % {"name": building.name}, code="not_a_building"
            )
        if building.estate_id != org.place.estate_id:
            raise ApplicationError(
                _("楼栋“%(name)s”不在党小组所在的小区内。") % {"name": building.name}, code="building_elsewhere"
            )
    org.buildings.set(buildings)


@transaction.atomic
def organization_create(
    *,
    kind: str,
    name: str,
    place: Place,
    parent: Organization | None,
    actor,
    function: str = "",
    buildings: Iterable[Place] | None = None,
) -> Organization:
    """Found a party organization under ``parent``, attached to the place it serves."""
    _lock_tree(Organization)
    # Tree positions shift with every insert: check against the rows as they are now.
    place = Place.objects.get(pk=place.pk)
    if parent is not None:
        parent = Organization.objects.select_related("place").get(pk=parent.pk)
    org = Organization(kind=kind, name=name.strip(), place=place, parent=parent, function=function or "")
    _refuse_parent(org, parent)
    _check_function(org)
    _check_org_place(org, parent)
    _refuse_duplicate_name(Organization, org, parent)
    org.save()
    _set_buildings(org, buildings)
    audit_record(actor=actor, action=GovernanceEvent.ORGANIZATION_CREATE, obj=org, place=place, summary=org.name)
    return org


@transaction.atomic
def organization_update(
    *, organization: Organization, actor, buildings: Iterable[Place] | None = None, **fields
) -> Organization:
    """Rename an organization, change its function or the buildings a group covers."""
    _lock_tree(Organization)
    org = organization
    if "name" in fields:
        org.name = fields["name"].strip()
    if "function" in fields:
        org.function = fields["function"] or ""
        _check_function(org)
    if "place" in fields:
        org.place = Place.objects.get(pk=fields["place"].pk)
        _check_org_place(org, org.parent and Organization.objects.select_related("place").get(pk=org.parent_id))
    _refuse_duplicate_name(Organization, org, org.parent)
    org.save()
    if buildings is not None:
        _set_buildings(org, buildings)
    audit_record(
        actor=actor,
        action=GovernanceEvent.ORGANIZATION_UPDATE,
        obj=org,
        place=org.place,
        data={"fields": sorted(fields)},
    )
    return org


@transaction.atomic
def organization_move(*, organization: Organization, parent: Organization | None, actor) -> Organization:
    """Move an organization and its subtree under another organization."""
    _lock_tree(Organization)
    org = Organization.objects.select_related("place").get(pk=organization.pk)
    if parent is not None:
        parent = Organization.objects.select_related("place").get(pk=parent.pk)
    _refuse_parent(org, parent)
    _check_org_place(org, parent)
    org.parent = parent
    _refuse_duplicate_name(Organization, org, parent)
    org.save()
    audit_record(
        actor=actor,
        action=GovernanceEvent.ORGANIZATION_MOVE,
        obj=org,
        place=org.place,
        data={"parent": parent.pk if parent else None},
    )
    return org


@transaction.atomic
def organization_delete(*, organization: Organization, actor) -> None:
    """Dissolve an organization that has no sub-organizations and no members left."""
    _lock_tree(Organization)
    org = organization
    if Organization.objects.filter(parent=org).exists():
        raise Conflict(_("“%(name)s”还有下级组织，不能删除。") % {"name": org.name}, code="has_children")
    if org.posts.exists():
        raise Conflict(_("“%(name)s”还有任职人员，不能删除。") % {"name": org.name}, code="has_members")
    pk, name, place = org.pk, org.name, org.place
    try:
        with transaction.atomic():
            org.buildings.clear()
            org.delete()
    except ProtectedError as exc:
        raise Conflict(
            _("“%(name)s”还有成员或其他记录（%(what)s），不能删除。") % {"name": name, "what": _referrers(exc)},
            code="has_members",
        ) from exc
    audit_record(
        actor=actor, action=GovernanceEvent.ORGANIZATION_DELETE, place=place, summary=name, data={"organization": pk}
    )


# People and posts -----------------------------------------------------------------------


@transaction.atomic
def person_create(
    *,
    name: str,
    actor,
    place: Place | None = None,
    id_number: str = "",
    phone: str = "",
    birth_date: datetime.date | None = None,
) -> Person:
    """Record a person; ID and phone numbers are encrypted and hashed for matching."""
    person = Person(name=name.strip(), place=place, birth_date=birth_date)
    person.set_id_number(id_number)
    person.set_phone(phone)
    person.save()
    audit_record(actor=actor, action=GovernanceEvent.PERSON_CREATE, obj=person, place=place, summary=person.name)
    return person


@transaction.atomic
def person_update(*, person: Person, actor, **fields) -> Person:
    """Change a person's name, place, birth date, ID or phone number."""
    for field in ("name", "place", "birth_date"):
        if field in fields:
            setattr(person, field, fields[field])
    if "id_number" in fields:
        person.set_id_number(fields["id_number"])
    if "phone" in fields:
        person.set_phone(fields["phone"])
    person.save()
    audit_record(
        actor=actor,
        action=GovernanceEvent.PERSON_UPDATE,
        obj=person,
        place=person.place,
        data={"fields": sorted(fields)},
    )
    return person


@transaction.atomic
def post_create(
    *,
    person: Person,
    kind: str,
    body: str,
    actor,
    organization: Organization | None = None,
    place: Place | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Post:
    """Give ``person`` a post; a party post sits in an organization and takes its place."""
    if body == PostBody.PARTY:
        if organization is None:
            raise ApplicationError(_("党内职务必须指明所在党组织。"), code="organization_required")
        place = organization.place
    else:
        if organization is not None:
            raise ApplicationError(_("只有党内职务才属于党组织。"), code="organization_not_allowed")
        if place is None:
            raise ApplicationError(_("请指明该职务所在的小区或社区。"), code="place_required")
    if start and end and end < start:
        raise ApplicationError(_("任职结束日期不能早于开始日期。"), code="end_before_start")
    post = Post.objects.create(
        person=person, kind=kind, body=body, organization=organization, place=place, start=start, end=end
    )
    audit_record(actor=actor, action=GovernanceEvent.POST_CREATE, obj=post, place=place, summary=str(post))
    return post


@transaction.atomic
def post_end(*, post: Post, end: datetime.date, actor) -> Post:
    """End a post on ``end``."""
    if post.start and end < post.start:
        raise ApplicationError(_("任职结束日期不能早于开始日期。"), code="end_before_start")
    post.end = end
    post.save(update_fields=["end"])
    audit_record(
        actor=actor, action=GovernanceEvent.POST_END, obj=post, place=post.place, data={"end": end.isoformat()}
    )
    return post


# Roles ----------------------------------------------------------------------------------


@transaction.atomic
def role_assignment_create(*, user: User, role: str, place: Place, actor: User) -> RoleAssignment:
    """Grant ``role`` over ``place``; the granter may only grant inside their own scope."""
    if role not in Role.values:
        raise ApplicationError(_("未知角色“%(role)s”。") % {"role": role}, code="unknown_role")
    if not can(actor, Action.GRANT, place):
        raise NotPermitted(_("只能在自己的管辖范围内授予角色。"))
    if RoleAssignment.objects.filter(user=user, role=role, place=place).exists():
        raise Conflict(_("该用户已拥有这一角色。"), code="duplicate_role")
    assignment = RoleAssignment.objects.create(user=user, role=role, place=place, granted_by=acting_user(actor))
    forget_scope(user)
    audit_record(
        actor=actor, action=GovernanceEvent.ROLE_GRANT, obj=assignment, place=place, summary=f"{user.username} {role}"
    )
    return assignment


@transaction.atomic
def role_assignment_delete(*, assignment: RoleAssignment, actor: User) -> None:
    """Withdraw a role; only someone who could grant it may withdraw it."""
    if not can(actor, Action.GRANT, assignment.place):
        raise NotPermitted(_("只能在自己的管辖范围内撤销角色。"))
    audit_record(
        actor=actor,
        action=GovernanceEvent.ROLE_REVOKE,
        obj=assignment,
        place=assignment.place,
        summary=f"{assignment.user.username} {assignment.role}",
    )
    user = assignment.user
    assignment.delete()
    forget_scope(user)


@transaction.atomic
def user_create(*, username: str, password: str, actor, person: Person | None = None, email: str = "") -> User:
    """Create a login, optionally linked to a person."""
    if User.objects.filter(username=username).exists():
        raise Conflict(_("用户名“%(name)s”已被使用。") % {"name": username}, code="duplicate_username")
    user = User(username=username, email=email, person=person)
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action=GovernanceEvent.USER_CREATE, obj=user, summary=username)
    return user


# District rules ------------------------------------------------------------------------


@transaction.atomic
def rule_set(*, district: Place, key: str, value: Any, actor) -> DistrictRule:
    """Set a district's own value of a configurable rule, within the law."""
    require(actor, Action.GRANT, district)
    if district.level != 0:
        raise ApplicationError(_("区级规则只能在区一级设置。"), code="not_a_district")
    refusal = rule_refusal(key, value)
    if refusal:
        raise ApplicationError(refusal, code="rule_invalid")
    old = rule(key, district)
    row, _created = DistrictRule.objects.update_or_create(district=district, key=key, defaults={"value": value})
    audit_record(
        actor=actor,
        action=GovernanceEvent.RULE_SET,
        obj=row,
        place=district,
        summary=key,
        changes={"value": (old, value)},
    )
    return row

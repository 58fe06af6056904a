"""Writes of the governance layer: the two trees, people, posts, logins, role assignments, rules.

Every write takes the acting user (``actor``) and checks the right itself with
``governance.scoping.require``, so that the API, the admin, the pages and the commands cannot
disagree on who may do what; code that no person drives passes ``SYSTEM``. Every write records
what it did in the audit trail, and an update records each field's old and new value.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.crypto import EncryptedCharField, current, decrypt, encrypt, mask_id_number, mask_phone
from core.errors import ApplicationError, Conflict, NotPermitted
from governance import selectors
from governance.audit import apply_changes, audit_record
from governance.events import GovernanceEvent
from governance.models import (
    CoverageSnapshot,
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
from governance.scoping import (
    SYSTEM,
    Action,
    acting_user,
    can,
    forget_scope,
    is_unrestricted,
    may_grant,
    require,
    require_unrestricted,
)

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


def _require_change(actor, place: Place | None) -> None:
    """Refuse unless ``actor`` may change things at ``place``; a record with no place is the superuser's."""
    if place is None:
        require_unrestricted(actor, _("没有所在地的记录只有系统管理员可以修改。"))
    else:
        require(actor, Action.KEEP_REGISTER, place)


# Places ---------------------------------------------------------------------------------


def _estate_of(kind: str, parent: Place | None) -> Place | None:
    if kind in (PlaceKind.COMPLEX, PlaceKind.BUILDING) and parent is not None:
        return parent if parent.kind == PlaceKind.ESTATE else parent.estate
    return None


def place_create_refusal(*, actor, parent: Place | None) -> str | None:
    """Say why ``actor`` may not add a place under ``parent`` (``None``: at the top), or return None."""
    try:
        _require_place_parent(actor, parent)
    except NotPermitted as exc:
        return exc.message
    return None


def _require_place_parent(actor, parent: Place | None) -> None:
    if parent is None:
        require_unrestricted(actor, _("只有系统管理员可以新建顶层节点，请选择上级。"))
    else:
        require(actor, Action.KEEP_REGISTER, parent)


@transaction.atomic
def place_create(
    *, kind: str, name: str, parent: Place | None, actor, code: str = "", self_managed: bool = False
) -> Place:
    """Add a place under ``parent``, refusing a kind that may not sit there; only a superuser adds a top-level one."""
    _require_place_parent(actor, parent)
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
    require(actor, Action.KEEP_REGISTER, place)
    _lock_tree(Place)
    values = {field: fields[field] for field in ("name", "code", "self_managed") if field in fields}
    if "name" in values:
        values["name"] = values["name"].strip()
    changes = apply_changes(place, values)
    if not changes:
        return place
    _refuse_duplicate_name(Place, place, place.parent)
    place.save(update_fields=list(changes))
    audit_record(
        actor=actor, action=GovernanceEvent.PLACE_UPDATE, obj=place, place=place, summary=place.name, changes=changes
    )
    return place


@transaction.atomic
def place_move(*, place: Place, parent: Place | None, actor) -> Place:
    """Move a place and its subtree under ``parent``; the actor must be able to change both ends."""
    require(actor, Action.KEEP_REGISTER, place)
    _require_place_parent(actor, parent)
    _lock_tree(Place)
    place.refresh_from_db()
    if parent is not None:
        parent.refresh_from_db()
    _refuse_parent(place, parent)
    old_parent = place.parent
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
        summary=place.name,
        changes={"parent": (old_parent, parent)},
    )
    return place


@transaction.atomic
def place_delete(*, place: Place, actor) -> None:
    """Delete a place that nothing else hangs on."""
    require(actor, Action.KEEP_REGISTER, place)
    _lock_tree(Place)
    if Place.objects.filter(parent=place).exists():
        raise Conflict(_("“%(name)s”下还有下级地点，不能删除。") % {"name": place.name}, code="has_children")
    pk, name = place.pk, place.name
    try:
        with transaction.atomic():
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
    require(actor, Action.KEEP_REGISTER, place)
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
    """Rename an organization, change its function, its place or the buildings a group covers."""
    require(actor, Action.KEEP_REGISTER, organization.place)
    if "place" in fields:
        require(actor, Action.KEEP_REGISTER, fields["place"])
    _lock_tree(Organization)
    org = organization
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = fields["name"].strip()
    if "function" in fields:
        values["function"] = fields["function"] or ""
    if "place" in fields:
        values["place"] = Place.objects.get(pk=fields["place"].pk)
    changes = apply_changes(org, values)
    if "function" in changes:
        _check_function(org)
    if "place" in changes:
        _check_org_place(org, org.parent and Organization.objects.select_related("place").get(pk=org.parent_id))
    if changes:
        _refuse_duplicate_name(Organization, org, org.parent)
        org.save(update_fields=list(changes))
    if buildings is not None:
        before = sorted(org.buildings.values_list("pk", flat=True))
        _set_buildings(org, buildings)
        after = sorted(org.buildings.values_list("pk", flat=True))
        if before != after:
            changes["buildings"] = (before, after)
    if changes:
        audit_record(
            actor=actor,
            action=GovernanceEvent.ORGANIZATION_UPDATE,
            obj=org,
            place=org.place,
            summary=org.name,
            changes=changes,
        )
    return org


@transaction.atomic
def organization_move(*, organization: Organization, parent: Organization | None, actor) -> Organization:
    """Move an organization and its subtree under another organization; the actor must change both ends."""
    require(actor, Action.KEEP_REGISTER, organization.place)
    if parent is not None:
        require(actor, Action.KEEP_REGISTER, parent.place)
    _lock_tree(Organization)
    org = Organization.objects.select_related("place").get(pk=organization.pk)
    if parent is not None:
        parent = Organization.objects.select_related("place").get(pk=parent.pk)
    _refuse_parent(org, parent)
    _check_org_place(org, parent)
    old_parent = org.parent
    org.parent = parent
    _refuse_duplicate_name(Organization, org, parent)
    org.save()
    audit_record(
        actor=actor,
        action=GovernanceEvent.ORGANIZATION_MOVE,
        obj=org,
        place=org.place,
        summary=org.name,
        changes={"parent": (old_parent, parent)},
    )
    return org


@transaction.atomic
def organization_delete(*, organization: Organization, actor) -> None:
    """Dissolve an organization that has no sub-organizations and no members left."""
    require(actor, Action.KEEP_REGISTER, organization.place)
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
    _require_change(actor, place)
    person = Person(name=name.strip(), place=place, birth_date=birth_date)
    person.set_id_number(id_number)
    person.set_phone(phone)
    person.save()
    audit_record(actor=actor, action=GovernanceEvent.PERSON_CREATE, obj=person, place=place, summary=person.name)
    return person


@transaction.atomic
def person_update(*, person: Person, actor, **fields) -> Person:
    """Change a person's name, place, birth date, ID or phone number.

    Only the fields that change are written, so that a rename never rewrites the encrypted
    numbers; the trail records ID and phone numbers masked, never in clear.
    """
    _require_change(actor, person.place)
    if "place" in fields and fields["place"] != person.place:
        _require_change(actor, fields["place"])
    values = {field: fields[field] for field in ("name", "place", "birth_date") if field in fields}
    if "name" in values:
        values["name"] = values["name"].strip()
    changes = apply_changes(person, values)
    update_fields = list(changes)
    for field, setter, mask in (
        ("id_number", person.set_id_number, mask_id_number),
        ("phone", person.set_phone, mask_phone),
    ):
        if field in fields and (fields[field] or "") != getattr(person, field):
            old = getattr(person, field)
            setter(fields[field])
            changes[field] = (mask(old), mask(getattr(person, field)))
            update_fields += [field, f"{field}_hash"]
    if not changes:
        return person
    person.save(update_fields=update_fields)
    audit_record(
        actor=actor,
        action=GovernanceEvent.PERSON_UPDATE,
        obj=person,
        place=person.place,
        summary=person.name,
        changes=changes,
    )
    return person


@transaction.atomic
def person_reveal(*, person: Person, actor) -> Person:
    """Show a person's whole ID and phone numbers to someone whose role needs them, and record that they saw them."""
    if person.place is None:
        require_unrestricted(actor, _("您无权查看此人的完整证件号和手机号。"))
    else:
        require(actor, Action.VIEW_PERSONAL, person.place, message=_("您无权查看此人的完整证件号和手机号。"))
    audit_record(actor=actor, action=GovernanceEvent.PERSON_REVEAL, obj=person, place=person.place, summary=person.name)
    return person


def _post_place(body: str, organization: Organization | None, place: Place | None) -> Place:
    if body == PostBody.PARTY:
        if organization is None:
            raise ApplicationError(_("党内职务必须指明所在党组织。"), code="organization_required")
        return organization.place
    if organization is not None:
        raise ApplicationError(_("只有党内职务才属于党组织。"), code="organization_not_allowed")
    if place is None:
        raise ApplicationError(_("请指明该职务所在的小区或社区。"), code="place_required")
    return place


def _refuse_end_before_start(start: datetime.date | None, end: datetime.date | None) -> None:
    if start and end and end < start:
        raise ApplicationError(_("任职结束日期不能早于开始日期。"), code="end_before_start")


@transaction.atomic
def _post_action(body: str) -> str:
    """The right a post needs: the committee records its own officers and the supervision group; every other
    post (the party's, the residents' committee's, the community's staff) is kept by the community."""
    return Action.CHANGE if body in (PostBody.OWNERS_COMMITTEE, PostBody.SUPERVISION_GROUP) else Action.KEEP_REGISTER


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
    place = _post_place(body, organization, place)
    require(actor, _post_action(body), place)
    _refuse_end_before_start(start, end)
    post = Post.objects.create(
        person=person, kind=kind, body=body, organization=organization, place=place, start=start, end=end
    )
    audit_record(actor=actor, action=GovernanceEvent.POST_CREATE, obj=post, place=place, summary=str(post))
    return post


@transaction.atomic
def post_update(*, post: Post, actor, **fields) -> Post:
    """Correct a post: its holder, kind, body, organization, place or dates."""
    require(actor, _post_action(post.body), post.place)
    values = {
        field: fields[field]
        for field in ("person", "kind", "body", "organization", "place", "start", "end")
        if field in fields
    }
    body = values.get("body", post.body)
    organization = values.get("organization", post.organization)
    values["place"] = _post_place(body, organization, values.get("place", post.place))
    if body != PostBody.PARTY:
        values["organization"] = None
    if values["place"] != post.place or body != post.body:
        require(actor, _post_action(body), values["place"])
    _refuse_end_before_start(values.get("start", post.start), values.get("end", post.end))
    changes = apply_changes(post, values)
    if not changes:
        return post
    post.save(update_fields=[f"{field}" for field in changes])
    audit_record(
        actor=actor, action=GovernanceEvent.POST_UPDATE, obj=post, place=post.place, summary=str(post), changes=changes
    )
    return post


@transaction.atomic
def post_end(*, post: Post, end: datetime.date, actor) -> Post:
    """End a post on ``end``."""
    require(actor, _post_action(post.body), post.place)
    _refuse_end_before_start(post.start, end)
    changes = apply_changes(post, {"end": end})
    if not changes:
        return post
    post.save(update_fields=["end"])
    audit_record(
        actor=actor, action=GovernanceEvent.POST_END, obj=post, place=post.place, summary=str(post), changes=changes
    )
    return post


# Roles and logins -----------------------------------------------------------------------


def role_refusal(*, actor, user: User, role: str, place: Place) -> str | None:
    """Say why ``actor`` may not grant or withdraw ``role`` over ``place`` for ``user``, or return None.

    The rule (docs/architecture.md, "Rights"): nobody changes their own roles; only a
    superuser changes a superuser's roles or grants an oversight role; anyone else grants only
    a role below one they hold (``scoping.GRANTABLE``), inside the subtree where they hold it,
    to a user they may see.
    """
    if actor is SYSTEM:
        return None
    if actor is None:
        return _("没有指明操作人，操作被拒绝。")
    if user.pk is not None and user.pk == actor.pk:
        return _("不能更改自己的角色，请由上级授予或撤销。")
    if is_unrestricted(actor):
        return None
    if user.is_superuser:
        return _("只有系统管理员可以更改系统管理员的角色。")
    if not may_grant(actor, role, place):
        if can(actor, Action.GRANT, place):
            return _("您只能授予低于自己角色的角色，不能授予“%(role)s”。") % {"role": Role(role).label}
        return _("只能在自己的管辖范围内授予或撤销角色。")
    if not selectors.users_visible_to(actor).filter(pk=user.pk).exists():
        return _("该用户不在您的管辖范围内。")
    return None


def _refuse_role(*, actor, user: User, role: str, place: Place) -> None:
    if role not in Role.values:
        raise ApplicationError(_("未知角色“%(role)s”。") % {"role": role}, code="unknown_role")
    if actor is None:
        raise NotPermitted(_("没有指明操作人，操作被拒绝。"), code="no_actor")
    refusal = role_refusal(actor=actor, user=user, role=role, place=place)
    if refusal:
        raise NotPermitted(refusal)


@transaction.atomic
def role_assignment_create(*, user: User, role: str, place: Place, actor) -> RoleAssignment:
    """Grant ``role`` over ``place`` to ``user``, within the rule of ``role_refusal``."""
    place = Place.objects.get(pk=place.pk)  # tree positions as they are now
    _refuse_role(actor=actor, user=user, role=role, place=place)
    if RoleAssignment.objects.filter(user=user, role=role, place=place).exists():
        raise Conflict(_("该用户已拥有这一角色。"), code="duplicate_role")
    assignment = RoleAssignment.objects.create(user=user, role=role, place=place, granted_by=acting_user(actor))
    forget_scope(user)
    audit_record(
        actor=actor,
        action=GovernanceEvent.ROLE_GRANT,
        obj=assignment,
        place=place,
        summary=f"{user.username} {role}",
        data={"user": user.pk, "role": role},
    )
    return assignment


@transaction.atomic
def role_assignment_delete(*, assignment: RoleAssignment, actor) -> None:
    """Withdraw a role; only someone who could grant it may withdraw it."""
    _refuse_role(actor=actor, user=assignment.user, role=assignment.role, place=assignment.place)
    audit_record(
        actor=actor,
        action=GovernanceEvent.ROLE_REVOKE,
        obj=assignment,
        place=assignment.place,
        summary=f"{assignment.user.username} {assignment.role}",
        data={"user": assignment.user_id, "role": assignment.role},
    )
    user = assignment.user
    assignment.delete()
    forget_scope(user)


def password_refusal(password: str, user: User) -> list[str]:
    """Return why Django's password validators refuse ``password`` for ``user`` (empty when it is acceptable)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@transaction.atomic
def user_create(*, username: str, password: str, actor, person: Person | None = None, email: str = "") -> User:
    """Create a login, optionally linked to a person; its password must pass the password validators."""
    require(actor, Action.GRANT, None, message=_("只有可以授予角色的用户才能新建登录账号。"))
    if person is not None:
        if person.place is None:
            require_unrestricted(actor, _("该人员不在您的管辖范围内。"))
        else:
            require(actor, Action.GRANT, person.place, message=_("该人员不在您的管辖范围内。"))
    if User.objects.filter(username=username).exists():
        raise Conflict(_("用户名“%(name)s”已被使用。") % {"name": username}, code="duplicate_username")
    user = User(username=username, email=email, person=person)
    if problems := password_refusal(password, user):
        raise ApplicationError(" ".join(problems), code="weak_password", extra={"fields": {"password": problems}})
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


# Coverage ---------------------------------------------------------------------------------


@transaction.atomic
def coverage_recount(*, place: Place, actor) -> str:
    """Queue a recount of coverage under ``place`` (a snapshot is kept); return the task's id.

    A recount writes, so it needs the right to change the place: auditors and reviewers read
    coverage but do not trigger recounts.
    """
    # governance.tasks imports this module for its own writes: importing it here breaks the cycle.
    from governance.tasks import coverage_recount as recount_task

    require(actor, Action.CHANGE, place)
    task_id = str(uuid.uuid4())
    audit_record(
        actor=actor,
        action=GovernanceEvent.COVERAGE_RECOUNT,
        obj=place,
        place=place,
        summary=place.name,
        data={"task": task_id},
    )
    transaction.on_commit(lambda: recount_task.apply_async(args=[place.pk], task_id=task_id))
    return task_id


@transaction.atomic
def coverage_snapshot_create(*, place: Place, actor) -> CoverageSnapshot:
    """Count coverage under ``place`` now and keep the figures as a snapshot (the nightly job's write)."""
    require(actor, Action.CHANGE, place)
    figures = selectors.coverage(place)
    return CoverageSnapshot.objects.create(
        place=place, estates=figures["estates"], covered_estates=figures["covered_estates"], data=figures
    )


# Personal data at rest -----------------------------------------------------------------------------------------


def personal_data_reencrypt(*, actor, check: bool = False, batch: int = 1000) -> dict[str, int]:
    """Encrypt every stored ID number, phone number and petitioner's detail again under the first key of
    ``PII_KEYS`` (and Fernet tokens as AES-GCM); return how many values of each field were not yet.

    A key rotation: put the new key first in ``PII_KEYS``, run this, then drop the old keys — a save never
    rewrites an unchanged value, so without it values stay under the old key. Rows are read and rewritten a
    batch at a time, each batch in its own transaction with its rows locked; the values and their keyed hashes
    do not change, only their tokens. A token no key opens stops it with ``DecryptionError`` (the batches before
    stay done: running it again goes on). ``check`` counts only. Audited, with the counts, when it wrote.
    """
    require_unrestricted(actor, _("只有系统管理员可以重新加密个人信息。"))
    counts: dict[str, int] = {}
    for model in django_apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]
        if not fields:
            continue
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        columns = ", ".join(quote(f.column) for f in fields)
        found = dict.fromkeys((f"{model._meta.label}.{f.name}" for f in fields), 0)
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                after = "" if last is None else f"WHERE {pk} > %s "
                lock = " FOR UPDATE" if connection.features.has_select_for_update and not check else ""
                cursor.execute(
                    f"SELECT {pk}, {columns} FROM {table} {after}ORDER BY {pk} LIMIT %s{lock}",
                    [*([] if last is None else [last]), batch],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                for n, field in enumerate(fields, start=1):
                    label = f"{model._meta.label}.{field.name}"
                    stale = [(row[0], row[n]) for row in rows if not current(row[n] or "")]
                    found[label] += len(stale)
                    if check:
                        for _pk, token in stale:
                            decrypt(token, label)  # DecryptionError for a token no key opens, as the rotation would
                    elif stale:
                        # One statement per column and batch (psycopg sends the rows in one pipeline).
                        cursor.executemany(
                            f"UPDATE {table} SET {quote(field.column)} = %s WHERE {pk} = %s",
                            [(encrypt(decrypt(token, label)), row_pk) for row_pk, token in stale],
                        )
                last = rows[-1][0]
        counts.update(found)
    if not check and any(counts.values()):
        audit_record(
            actor=actor,
            action=GovernanceEvent.PERSONAL_DATA_REENCRYPT,
            summary=_("%(n)s 项个人信息已以现用密钥重新加密") % {"n": sum(counts.values())},
            data={"counts": counts},
        )
    return counts

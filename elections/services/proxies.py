"""Proxies (委托投票): registered with the written mandate, accepted by staff who run the vote, then cast.

docs/domain.md §5.3: paper and proxy ballots are signed; a proxy holds a written mandate and votes
as instructed. Nobody casts another owner's ballot by typing a name: the mandate is uploaded
and kept, staff accept it, and only then may that proxy cast that owner's ballot, online (as
the user named) or on paper (by the name registered). One proxy represents at most
``VOTE_PROXY_LIMIT`` owners in one vote (a district rule; 5 by default).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotPermitted
from core.uploads import check_upload
from elections.events import ElectionsEvent
from elections.models import Proxy, ProxyStatus, TallyState, Vote, VoteStatus
from elections.rights import may_enter_ballots, may_read_mandates
from governance.audit import apply_changes, audit_record
from governance.models import User
from governance.rules import rule
from governance.scoping import SYSTEM, Action, acting_user, require
from residents.models import Owner, Ownership

OPEN_FOR_PROXIES = (VoteStatus.NOTICE, VoteStatus.VOTING, VoteStatus.COUNTING)


def _open_for_proxies(vote: Vote) -> bool:
    if vote.status == VoteStatus.COUNTING:
        # Paper ballots cast in time may still be entered until the tally runs.
        return vote.tally_state == TallyState.PENDING
    return vote.status in OPEN_FOR_PROXIES


def _may_register(actor, vote: Vote, owner: Owner, user: User | None) -> bool:
    """Staff who enter ballots, the owner giving the mandate, or the proxy named, may register it."""
    if actor is SYSTEM or may_enter_ballots(actor, vote.estate):
        return True
    person = getattr(actor, "person_id", None)
    return bool(
        getattr(actor, "is_authenticated", False)
        and ((person and owner.person_id == person) or (user is not None and user.pk == actor.pk))
    )


def normalized_name(name: str) -> str:
    return "".join((name or "").split())


@transaction.atomic
def proxy_register(
    *,
    vote: Vote,
    owner: Owner,
    mandate,
    actor,
    user: User | None = None,
    name: str = "",
    now: datetime.datetime | None = None,
) -> Proxy:
    """Register a written mandate by which ``owner`` lets ``user`` (online) or ``name`` (on paper) vote for them."""
    now = now or timezone.now()
    if actor is None:
        require(actor, Action.VOTE, vote.estate)
    if not _may_register(actor, vote, owner, user):
        raise NotPermitted(_("委托只能由业主本人、受托人本人或投票工作人员登记。"))
    if not _open_for_proxies(vote):
        raise Conflict(_("委托投票在公示和投票期间登记。"), code="wrong_status")
    if not Ownership.objects.active_on(timezone.localdate(now)).filter(owner=owner, unit__estate=vote.estate).exists():
        raise ApplicationError(_("委托人须为本小区的业主。"), code="owner_not_in_estate")
    if user is not None:
        name = user.person.name if getattr(user, "person_id", None) else user.get_full_name() or user.username
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写受托人：平台用户，或纸质投票时的受托人姓名。"), code="proxy_required")
    if mandate is None:
        raise ApplicationError(_("请上传书面委托书（PDF 或照片）。"), code="mandate_required")
    kind = check_upload(mandate, "mandate")
    if Proxy.objects.filter(vote=vote, owner=owner).exclude(status=ProxyStatus.REFUSED).exists():
        raise Conflict(_("该业主在本次投票中已登记委托。"), code="proxy_exists")
    proxy = Proxy.objects.create(
        vote=vote,
        owner=owner,
        user=user,
        name=name,
        mandate=mandate,
        mandate_type=kind,
        registered_by=acting_user(actor),
        registered_at=now,
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.PROXY_REGISTER,
        obj=proxy,
        place=vote.estate,
        data={"owner": owner.pk, "user": user.pk if user else None},
    )
    return proxy


@transaction.atomic
def proxy_decide(*, proxy: Proxy, accept: bool, actor, reason: str = "", now: datetime.datetime | None = None) -> Proxy:
    """Accept a registered proxy (within the limit per proxy) or refuse it with a reason."""
    vote = proxy.vote
    require(actor, Action.RUN_VOTE, vote.estate)
    proxy = Proxy.objects.select_for_update().get(pk=proxy.pk)
    if proxy.status != ProxyStatus.PENDING:
        raise Conflict(_("该委托已审核。"), code="already_decided")
    if not accept and not (reason or "").strip():
        raise ApplicationError(_("不予接受委托须写明理由。"), code="reason_required")
    if accept:
        limit = rule("VOTE_PROXY_LIMIT", vote.estate)
        same = Proxy.objects.filter(vote=vote, status=ProxyStatus.ACCEPTED)
        same = same.filter(user=proxy.user) if proxy.user_id else same.filter(user__isnull=True)
        held = sum(1 for other in same.values_list("name", flat=True) if proxy.user_id or _same(other, proxy.name))
        if held >= limit:
            raise Conflict(
                _("一名受托人在一次投票中最多代理 %(n)s 名业主；%(name)s 已代理 %(held)s 名。")
                % {"n": limit, "name": proxy.name, "held": held},
                code="proxy_limit",
            )
    changes = apply_changes(
        proxy,
        {
            "status": ProxyStatus.ACCEPTED if accept else ProxyStatus.REFUSED,
            "decided_by": acting_user(actor),
            "decided_at": now or timezone.now(),
            "decision_reason": (reason or "").strip(),
        },
    )
    proxy.save(update_fields=list(changes))
    audit_record(actor=actor, action=ElectionsEvent.PROXY_DECIDE, obj=proxy, place=vote.estate, changes=changes)
    return proxy


def _same(a: str, b: str) -> bool:
    return normalized_name(a) == normalized_name(b)


def accepted_proxy(vote: Vote, owner_ids, *, user=None, name: str = "", proxy_id: int | None = None) -> Proxy | None:
    """The accepted proxy of one of ``owner_ids`` in ``vote`` that is this user, this id, or this name."""
    rows = Proxy.objects.filter(vote=vote, owner_id__in=list(owner_ids), status=ProxyStatus.ACCEPTED)
    if proxy_id is not None:
        rows = rows.filter(pk=proxy_id)
    if user is not None:
        rows = rows.filter(user=user)
    for proxy in rows.order_by("pk"):
        if user is not None or proxy_id is not None or _same(proxy.name, name):
            return proxy
    return None


def is_accepted_proxy_in(vote: Vote, user) -> bool:
    """Whether ``user`` holds an accepted mandate in ``vote`` (and so may open its ballot page)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and Proxy.objects.filter(vote=vote, user=user, status=ProxyStatus.ACCEPTED).exists()
    )


MANDATE_CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}


def proxy_mandate_open(*, proxy: Proxy, actor):
    """Open a proxy's written mandate for staff or an auditor, and record who read it (personal data)."""
    vote = proxy.vote
    if not may_read_mandates(actor, vote.estate):
        require(actor, Action.AUDIT, vote.estate, message=_("书面委托书只对投票工作人员和审计人员开放。"))
    audit_record(actor=actor, action=ElectionsEvent.PROXY_MANDATE_READ, obj=proxy, place=vote.estate)
    return proxy.mandate.open("rb"), MANDATE_CONTENT_TYPES.get(proxy.mandate_type, "application/octet-stream")

"""Digests: a daily one for community secretaries (their obligations due and overdue), a weekly one for the street
(its flagged estates). Each is a notice (and an e-mail unless turned off), sent once per day or week."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role, RoleAssignment
from governance.rules import rule
from governance.scoping import SYSTEM, scope_q
from oversight.models import NoticeKind, Obligation, ObligationState
from oversight.selectors.early_warning import early_warning
from oversight.services.notices import notify

MAX_LINES = 30


def _holders(role: str) -> dict:
    """Each active user holding ``role``, with the places they hold it over."""
    places = defaultdict(list)
    users = {}
    for assignment in RoleAssignment.objects.filter(role=role, user__is_active=True).select_related("user", "place"):
        users[assignment.user_id] = assignment.user
        places[assignment.user_id].append(assignment.place)
    return {users[user_id]: held for user_id, held in places.items()}


def digest_daily(*, today: datetime.date | None = None, actor=SYSTEM) -> int:
    """Give each community secretary the day's digest: obligations overdue or due soon in their communities.

    A secretary with nothing pending gets no digest. Sent once a day (the notice key is the date).
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=rule("OBLIGATION_DUE_SOON_DAYS"))
    sent = 0
    for user, places in _holders(Role.COMMUNITY_SECRETARY).items():
        in_scope = scope_q([(p.tree_id, p.lft, p.rght) for p in places], "estate__")
        pending = list(
            Obligation.objects.filter(in_scope)
            .filter(Q(state=ObligationState.OVERDUE) | Q(state=ObligationState.OPEN, due_on__lte=horizon))
            .select_related("estate")
            .order_by("due_on", "pk")
        )
        if not pending:
            continue
        overdue = [o for o in pending if o.state == ObligationState.OVERDUE or o.due_on < today]
        title = _("每日四必汇总（%(day)s）：逾期%(overdue)d项，即将到期%(soon)d项") % {
            "day": today,
            "overdue": len(overdue),
            "soon": len(pending) - len(overdue),
        }
        lines = [
            f"{o.due_on} {o.estate.name} {o.get_kind_display()}：{o.title}" + (_("（已逾期）") if o in overdue else "")
            for o in pending[:MAX_LINES]
        ]
        if len(pending) > MAX_LINES:
            lines.append(_("……另有%(n)d项，请登录平台查看。") % {"n": len(pending) - MAX_LINES})
        if notify(
            users=[user],
            key=f"digest:daily:{today.isoformat()}",
            kind=NoticeKind.DIGEST_DAILY,
            title=title,
            body="\n".join([title, "", *lines]),
        ):
            sent += 1
    return sent


def digest_weekly(*, today: datetime.date | None = None, actor=SYSTEM) -> int:
    """Give each street staff member the week's digest: the flagged estates of their street with the reasons.

    Sent every week, once (the notice key is the ISO week), even when nothing is flagged.
    """
    today = today or timezone.localdate()
    year, week, _weekday = today.isocalendar()
    sent = 0
    for user, places in _holders(Role.STREET_STAFF).items():
        flagged = [e for place in places for e in early_warning(place, today=today)]
        title = _("每周预警汇总（%(year)d年第%(week)d周）：预警小区%(n)d个") % {
            "year": year,
            "week": week,
            "n": len(flagged),
        }
        lines = [
            f"{e['community']['name']} {e['estate']['name']}：" + "；".join(r["message"] for r in e["reasons"])
            for e in flagged
        ] or [_("本周没有预警小区。")]
        if notify(
            users=[user],
            key=f"digest:weekly:{year}-W{week:02d}",
            kind=NoticeKind.DIGEST_WEEKLY,
            title=title,
            body="\n".join([title, "", *lines]),
            place=places[0] if len(places) == 1 else None,
        ):
            sent += 1
    return sent


__all__ = ["digest_daily", "digest_weekly"]

"""Notices: in the platform always, by e-mail (Django's backend) unless the user turned e-mail off.

A notice's ``key`` names what it is about (``obligation:12:overdue``, ``digest:daily:2026-03-05``);
a user never gets the same key twice, so the beat jobs may run again without repeating themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotPermitted
from core.queueing import enqueue_on_commit
from governance.audit import apply_changes, audit_record
from governance.models import Place, Role, RoleAssignment, User
from governance.scoping import SYSTEM, is_unrestricted
from oversight.events import OversightEvent
from oversight.models import Notice, NoticeKind, NoticePreference, Obligation


def obligation_recipients(obligation: Obligation) -> list[User]:
    """The people an obligation's notices go to: its responsible person and the community's secretaries.

    Secretaries are the users holding the community-secretary role over the estate's community
    or the estate itself.
    """
    estate = obligation.estate
    holders = set(
        RoleAssignment.objects.filter(
            role=Role.COMMUNITY_SECRETARY, place_id__in=[estate.pk, estate.parent_id]
        ).values_list("user_id", flat=True)
    )
    if obligation.responsible_id:
        holders |= set(User.objects.filter(person_id=obligation.responsible_id).values_list("pk", flat=True))
    return list(User.objects.filter(pk__in=holders, is_active=True).order_by("pk"))


def notify(
    *,
    users: Iterable[User],
    key: str,
    kind: str,
    title: str,
    body: str = "",
    obligation: Obligation | None = None,
    place: Place | None = None,
) -> list[Notice]:
    """Give each user the notice ``key`` unless they already have it; e-mail it after the commit.

    The platform notifies on its own (no actor): notices are not audited one by one, the
    obligation or digest they report is.
    """
    users = list(users)
    if not users:
        return []
    have = set(Notice.objects.filter(key=key, user__in=users).values_list("user_id", flat=True))
    created = []
    for user in users:
        if user.pk in have:
            continue
        try:
            with transaction.atomic():
                created.append(
                    Notice.objects.create(
                        user=user,
                        key=key,
                        kind=kind,
                        title=title[:300],
                        body=body,
                        obligation=obligation,
                        place=place,
                    )
                )
        except IntegrityError:  # the same notice written at the same moment by another run
            continue
    if created:
        ids = [n.pk for n in created]
        # Imported here, not at the top: the tasks module imports these services.
        from oversight.tasks import email_notices

        # With the broker unreachable the e-mail is not sent; the notice itself stands in the web and the digests.
        enqueue_on_commit(email_notices, ids)
    return created


def email_wanted(user: User) -> bool:
    """Whether ``user`` receives notices by e-mail (on unless they turned it off) and has an address."""
    if not user.email:
        return False
    preference = NoticePreference.objects.filter(user=user).values_list("email", flat=True).first()
    return preference is None or preference


def notices_email(*, notice_ids: Iterable[int]) -> int:
    """E-mail the given notices to those who want e-mail; each is sent at most once. Return how many were sent."""
    sent = 0
    for notice in Notice.objects.filter(pk__in=list(notice_ids), emailed_at__isnull=True).select_related("user"):
        if not email_wanted(notice.user):
            continue
        # Claim the notice first: a second worker running the same task sends nothing.
        if not Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue
        try:
            send_mail(
                subject=_("【共治】%(title)s") % {"title": notice.title},
                message=notice.body or notice.title,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notice.user.email],
            )
        except Exception:
            Notice.objects.filter(pk=notice.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent


@transaction.atomic
def notice_preference_set(*, user: User, email: bool, actor) -> NoticePreference:
    """Turn a user's e-mail notices on or off; a user sets their own, a superuser anyone's."""
    if actor is not SYSTEM and not (getattr(actor, "pk", None) == user.pk or is_unrestricted(actor)):
        raise NotPermitted(_("只能修改自己的通知设置。"))
    preference, _created = NoticePreference.objects.get_or_create(user=user)
    changes = apply_changes(preference, {"email": bool(email)})
    if changes:
        preference.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action=OversightEvent.NOTICE_PREFERENCE, obj=preference, changes=changes)
    return preference


@transaction.atomic
def notice_mark_read(*, notice: Notice, actor) -> Notice:
    """Mark one's own notice as read."""
    if getattr(actor, "pk", None) != notice.user_id:
        raise NotPermitted(_("只能处理自己的通知。"))
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def obligation_notice(obligation: Obligation, kind: str, *, today: datetime.date | None = None) -> list[Notice]:
    """Tell the people responsible that ``obligation`` was created, is due soon, or is overdue."""
    texts = {
        NoticeKind.OBLIGATION_CREATED: _("新的四必义务：%(title)s，期限 %(due)s"),
        NoticeKind.OBLIGATION_DUE_SOON: _("四必义务即将到期：%(title)s，期限 %(due)s"),
        NoticeKind.OBLIGATION_OVERDUE: _("四必义务已逾期：%(title)s，期限 %(due)s"),
    }
    suffix = {
        NoticeKind.OBLIGATION_CREATED: "created",
        NoticeKind.OBLIGATION_DUE_SOON: "due_soon",
        NoticeKind.OBLIGATION_OVERDUE: "overdue",
    }
    values = {"title": obligation.title, "due": obligation.due_on.isoformat()}
    title = texts[kind] % values
    body = "\n".join(
        [
            title,
            _("小区：%(estate)s") % {"estate": obligation.estate.name},
            _("类型：%(kind)s") % {"kind": obligation.get_kind_display()},
            _("请登录平台登记履职记录，或由街道说明理由予以豁免。"),
        ]
    )
    return notify(
        users=obligation_recipients(obligation),
        key=f"obligation:{obligation.pk}:{suffix[kind]}",
        kind=kind,
        title=title,
        body=body,
        obligation=obligation,
        place=obligation.estate,
    )

"""Who may do what in a vote, beyond one role's right: each rule written once, for services, API and pages.

Write services call ``require_*``; views call the ``may_*`` form only to decide whether a
page or a list exists for the visitor (404/403), never to decide a write.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotPermitted
from governance.models import Place
from governance.scoping import Action, can, require


def may_enter_ballots(user, estate: Place) -> bool:
    """Whether ``user`` may enter paper, phone and WeChat ballots of ``estate``'s votes.

    A clerk (``enter_ballot``) or whoever runs the vote (``run_vote``).
    """
    return can(user, Action.ENTER_BALLOT, estate) or can(user, Action.RUN_VOTE, estate)


def require_enter_ballots(actor, estate: Place, message: str | None = None) -> None:
    """Refuse (HTTP 403) an actor who may not enter ballots of ``estate``'s votes.

    The clerk's desk needs this right and no other: enter ballots, seal and finish boxes, issue the
    paper serials and the voting-code slips it prints (issue 12 item 3). Voiding stays with whoever
    runs the vote.
    """
    if may_enter_ballots(actor, estate):  # the common case, decided without a query (ballot intake's path)
        return
    # Refused on the instance given: decide again through ``require``, which reads the estate's tree
    # position as stored (an instance loaded before a tree write holds stale numbers).
    try:
        require(actor, Action.RUN_VOTE, estate)
    except NotPermitted:
        require(actor, Action.ENTER_BALLOT, estate, message=message or _("电话、微信和纸质选票须由工作人员录入。"))


def may_read_entry_log(user, estate: Place) -> bool:
    """Whether ``user`` may read a vote's entry log (ballots as entered, paper serials, who moved the vote).

    Staff who enter ballots or run the vote, and auditors; never a resident.
    """
    return may_enter_ballots(user, estate) or can(user, Action.AUDIT, estate) or can(user, Action.VIEW, estate)


def require_entry_log(user, estate: Place) -> None:
    """Refuse (HTTP 403) a reader who may not see a vote's entry log."""
    if not may_read_entry_log(user, estate):
        raise NotPermitted(_("选票录入记录只对工作人员和审计人员开放。"))


def may_read_mandates(user, estate: Place) -> bool:
    """Whether ``user`` may open the written mandates of proxies (personal documents): staff and auditors."""
    return may_enter_ballots(user, estate) or can(user, Action.AUDIT, estate)

"""What a user may open, decided once per request: the navigation, the home page and the breadcrumbs read it.

Every entry of the navigation is a page the user's roles open (answering 200, never 403 or
404), so that nothing is reachable only by typing its address and no link leads nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from committees.models import SupervisionGroup
from governance.scoping import Action, can, is_unrestricted
from residents.selectors import own_unit_ids


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str


class Rights:
    """The rights of one user, anywhere in their scope (no place given), computed lazily and once."""

    def __init__(self, user) -> None:
        self.user = user
        self.authenticated = bool(user and user.is_authenticated)

    def _anywhere(self, action: str) -> bool:
        return self.authenticated and can(self.user, action, None)

    @cached_property
    def view(self) -> bool:
        """Reads everything in a scope: staff, the committee, the auditor and the reviewer."""
        return self._anywhere(Action.VIEW)

    @cached_property
    def change(self) -> bool:
        return self._anywhere(Action.CHANGE)

    @cached_property
    def run_vote(self) -> bool:
        return self._anywhere(Action.RUN_VOTE)

    @cached_property
    def enter_ballots(self) -> bool:
        return self._anywhere(Action.ENTER_BALLOT) or self.run_vote

    @cached_property
    def review(self) -> bool:
        return self._anywhere(Action.REVIEW)

    @cached_property
    def audit(self) -> bool:
        return self._anywhere(Action.AUDIT)

    @cached_property
    def superuser(self) -> bool:
        return is_unrestricted(self.user)

    @cached_property
    def supervisor(self) -> bool:
        """A member of an estate's owners' supervision group (signs large spending)."""
        person_id = getattr(self.user, "person_id", None) if self.authenticated else None
        return bool(person_id) and SupervisionGroup.objects.filter(members__person_id=person_id).exists()

    @cached_property
    def owner(self) -> bool:
        """Owns or lives in a unit, or may vote somewhere: the owner's own pages are theirs."""
        if not self.authenticated:
            return False
        return self._anywhere(Action.VOTE) or own_unit_ids(self.user).exists()

    @property
    def queue(self) -> bool:
        """Signs or reviews spending: the supervision group, the discipline reviewer, the committee."""
        return self.change or self.review or self.supervisor


def rights_of(request) -> Rights:
    """The request's user's rights, computed once per request (the navigation and the views share them)."""
    cached = getattr(request, "_gongzhi_rights", None)
    if cached is None:
        cached = request._gongzhi_rights = Rights(request.user)
    return cached


def needs(right: str):
    """A page for users holding ``right`` somewhere (a ``Rights`` attribute): others log in first, or get 403.

    What is out of the user's scope inside such a page still answers 404, like a missing record.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not getattr(rights_of(request), right):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def navigation(rights: Rights) -> list[NavItem]:
    """The pages the user's roles open, in the order people work through them."""
    if not rights.authenticated:
        return [NavItem("votes", _("业主投票"), reverse("elections:index"))]
    items = []
    if rights.view or rights.enter_ballots:
        items.append(NavItem("home", _("工作台"), reverse("dashboard")))
    if rights.owner or not items:
        items.append(NavItem("mine", _("我的房屋"), reverse("web:mine")))
    items.append(NavItem("votes", _("投票"), reverse("elections:index")))
    if rights.enter_ballots:
        items.append(NavItem("desk", _("录入台"), reverse("web:desk")))
    if rights.view:
        items.append(NavItem("committees", _("业委会"), reverse("committees:overview")))
        items.append(NavItem("estates", _("小区"), reverse("web:estates")))
    if rights.queue:
        items.append(NavItem("queue", _("待办审批"), reverse("web:queue")))
    if rights.view:
        items.append(NavItem("register", _("登记册"), reverse("residents:register")))
    elif rights.change:
        items.append(NavItem("register", _("登记册"), reverse("residents:import-new")))
    if rights.view:
        items.append(NavItem("reports", _("报告"), reverse("web:reports")))
        items.append(NavItem("audit", _("审计记录"), reverse("web:audit-trail")))
    if rights.user.is_staff:
        items.append(NavItem("admin", _("管理后台"), reverse("admin:index")))
    return items


# The first segment of a path names the navigation entry it belongs to.
SECTIONS = {
    "": "home",
    "mine": "mine",
    "votes": "votes",
    "desk": "desk",
    "committees": "committees",
    "estates": "estates",
    "queue": "queue",
    "register": "register",
    "reports": "reports",
    "audit": "audit",
    "admin": "admin",
    "places": "home",
}


def section_of(path: str) -> str:
    return SECTIONS.get(path.strip("/").split("/", 1)[0], "")

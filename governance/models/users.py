from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .people import Person
from .places import Place
from .trees import ScopedQuerySet


class User(AbstractUser):
    """A login. Its human is a ``Person``; what it may do comes from its role assignments."""

    person = models.OneToOneField(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, null=True, blank=True, related_name="user"
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        swappable = "AUTH_USER_MODEL"


class Role(models.TextChoices):
    DISTRICT_AUDITOR = "district_auditor", _("区审计员")
    DISCIPLINE_REVIEWER = "discipline_reviewer", _("街道纪工委")
    STREET_STAFF = "street_staff", _("街道工作人员")
    COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
    COMMITTEE_MEMBER = "committee_member", _("业委会委员")
    CLERK = "clerk", _("计票员")
    RESIDENT = "resident", _("居民")


class RoleAssignment(models.Model):
    """A role a user holds over one place and everything under it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    place = models.ForeignKey(Place, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="role_assignments")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "place"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.place}"

"""The abstract base of both trees, and the queryset that scopes any model to a user."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from governance.scoping import ScopedQuerySetMixin


class ScopedQuerySet(ScopedQuerySetMixin, models.QuerySet):
    pass


class ScopedTreeQuerySet(ScopedQuerySetMixin, TreeQuerySet):
    pass


class ScopedTreeManager(TreeManager.from_queryset(ScopedTreeQuerySet)):
    pass


class TreeNode(MPTTModel):
    """A node of one of the two trees: a kind, a name unique among its siblings, a parent.

    ``ALLOWED_PARENTS`` maps each kind to the kinds it may sit under (``None`` for a root).
    """

    ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {}

    name = models.CharField(_("名称"), max_length=200)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("上级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedTreeManager()

    class Meta:
        abstract = True

    class MPTTMeta:
        order_insertion_by = ["name"]

    def __str__(self) -> str:
        return self.name

    def parent_refusal(self, parent: "TreeNode | None") -> str | None:
        """Say why ``parent`` cannot hold this node, or return None if it can."""
        allowed = self.ALLOWED_PARENTS.get(self.kind, ())
        if parent is None:
            if None in allowed:
                return None
            return _("%(kind)s 不能作为顶层节点，必须挂在 %(allowed)s 之下。") % {
                "kind": self.get_kind_display(),
                "allowed": self._kinds_label(allowed),
            }
        if self.pk and parent.pk == self.pk:
            return _("不能把节点挂在它自己之下。")
        if self.pk and parent.tree_id == self.tree_id and self.lft < parent.lft < self.rght:
            return _("不能把“%(name)s”移到它自己的下级“%(parent)s”之下。") % {
                "name": self.name,
                "parent": parent.name,
            }
        if parent.kind not in allowed:
            return _("%(kind)s 不能挂在 %(parent_kind)s 之下，只能挂在 %(allowed)s 之下。") % {
                "kind": self.get_kind_display(),
                "parent_kind": parent.get_kind_display(),
                "allowed": self._kinds_label(allowed),
            }
        return None

    def _kinds_label(self, kinds) -> str:
        labels = dict(self._meta.get_field("kind").flatchoices)
        named = [str(labels[k]) for k in kinds if k is not None]
        if None in kinds:
            named.append(_("顶层"))
        # The list separator is translated too: "、" in Chinese, ", " in English.
        return _("、").join(named) or _("（无）")

    def clean(self) -> None:
        super().clean()
        refusal = self.parent_refusal(self.parent)
        if refusal:
            raise ValidationError({"parent": refusal})

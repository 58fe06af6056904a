"""Audit event types of the governance layer."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import event_types


@event_types
class GovernanceEvent(models.TextChoices):
    PLACE_CREATE = "place.create", _("新建地点")
    PLACE_UPDATE = "place.update", _("修改地点")
    PLACE_MOVE = "place.move", _("移动地点")
    PLACE_DELETE = "place.delete", _("删除地点")
    ORGANIZATION_CREATE = "organization.create", _("新建党组织")
    ORGANIZATION_UPDATE = "organization.update", _("修改党组织")
    ORGANIZATION_MOVE = "organization.move", _("移动党组织")
    ORGANIZATION_DELETE = "organization.delete", _("撤销党组织")
    PERSON_CREATE = "person.create", _("登记人员")
    PERSON_UPDATE = "person.update", _("修改人员信息")
    PERSON_REVEAL = "person.reveal", _("查看完整个人信息")
    POST_CREATE = "post.create", _("任职")
    POST_UPDATE = "post.update", _("修改任职")
    POST_END = "post.end", _("免职")
    ROLE_GRANT = "role.grant", _("授予角色")
    ROLE_REVOKE = "role.revoke", _("撤销角色")
    USER_CREATE = "user.create", _("新建用户")
    USER_PASSWORD = "user.password", _("设置密码")
    RULE_SET = "rule.set", _("设置区级规则")
    COVERAGE_RECOUNT = "coverage.recount", _("重新统计覆盖率")
    PERSONAL_DATA_REENCRYPT = "personal_data.reencrypt", _("以现用密钥重新加密个人信息")

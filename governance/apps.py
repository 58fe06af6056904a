from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("组织治理")

    def ready(self) -> None:
        from governance import events  # noqa: F401  (registers the audit event types)

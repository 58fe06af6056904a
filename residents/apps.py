from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("房屋与居民")

    def ready(self) -> None:
        from residents import events  # noqa: F401  (registers the audit event types)

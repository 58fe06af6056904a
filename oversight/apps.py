from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = _("监督")

    def ready(self) -> None:
        from oversight import events, receivers  # noqa: F401  (event types, signal receivers)

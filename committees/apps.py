from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteesConfig(AppConfig):
    name = "committees"
    verbose_name = _("业委会")

    def ready(self) -> None:
        from committees import events, receivers  # noqa: F401  (event types, signal receivers)

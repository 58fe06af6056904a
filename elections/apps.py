from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "elections"
    verbose_name = _("业主投票")

    def ready(self) -> None:
        from elections import events  # noqa: F401  (registers the audit event types)

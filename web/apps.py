from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The pages people work in: the top layer, which may read every app below it."""

    name = "web"
    verbose_name = _("网页")

    def ready(self) -> None:
        from web import events  # noqa: F401  (registers the audit event types)

"""The Celery application; tasks are discovered in each app's ``tasks.py``."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gongzhi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_development_keys(**kwargs) -> None:
    """A worker or beat never runs with the development keys when DEBUG is off (core/checks.py)."""
    from django.core.exceptions import ImproperlyConfigured

    from core.checks import refuse_development_keys  # the app registry is ready only once Celery starts

    try:
        refuse_development_keys()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows a receiver's exceptions; leaving the process is what stops it.
        raise SystemExit(f"ImproperlyConfigured: {exc}") from exc

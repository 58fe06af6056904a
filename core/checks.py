"""Deployment checks: a production process never runs on the development keys.

``settings.DEVELOPMENT_KEYS`` holds the keys a laptop runs with. With ``DEBUG`` off, a web
or Celery process refuses to start while any of them is still in use
(``refuse_development_keys``, called from ``config/wsgi.py``, ``config/asgi.py`` and the
Celery worker and beat start-up), and ``manage.py check --deploy`` reports each one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

IDS = {"SECRET_KEY": "core.E001", "PII_KEYS": "core.E002", "PII_HASH_KEY": "core.E003"}
EXPLAIN = {
    "SECRET_KEY": "Django's secret key (sessions, password reset links, signing)",
    "PII_KEYS": "the Fernet keys that encrypt ID and phone numbers at rest",
    "PII_HASH_KEY": "the key of the hash that matches ID and phone numbers",
}


def development_keys_in_use() -> list[str]:
    """Return the names of the key settings still at their development value."""
    defaults = getattr(settings, "DEVELOPMENT_KEYS", {})
    in_use = []
    for name, default in defaults.items():
        value = getattr(settings, name, None)
        if name == "PII_KEYS":
            if any(key in default for key in value or ()):
                in_use.append(name)
        elif value == default:
            in_use.append(name)
    return in_use


def refuse_development_keys() -> None:
    """Raise ``ImproperlyConfigured`` naming each development key in use, unless ``DEBUG`` is on."""
    if settings.DEBUG:
        return
    names = development_keys_in_use()
    if names:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off and the development value of "
            + ", ".join(f"{name} ({EXPLAIN[name]})" for name in names)
            + ". Set each in the environment (see README, Settings)."
        )


@register(Tags.security, deploy=True)
def check_development_keys(app_configs=None, **kwargs) -> list[Error]:
    """Report each key setting still at its development value (``manage.py check --deploy``)."""
    if settings.DEBUG:
        return []
    return [
        Error(
            f"{name} is the development value that ships with the code.",
            hint=f"Set {name} in the environment: it protects {EXPLAIN[name]}.",
            id=IDS[name],
        )
        for name in development_keys_in_use()
    ]

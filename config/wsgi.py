import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# A production web process never serves with the development keys (core/checks.py).
from core.checks import refuse_development_keys  # noqa: E402  (needs the apps loaded above)

refuse_development_keys()

"""Settings of the processes the benchmark starts (gunicorn for the intake figure): the platform's own.

The platform's settings with keys of their own (not the development keys, which a web process
refuses without DEBUG), the floors' URLs beside the platform's, and the load generator's loopback
address trusted as a proxy so that each simulated voter has a client address of its own (the
voting-code attempt limits count per client, as in production behind a proxy).
"""

from config.settings import *  # noqa: F403
from config.settings import env

SECRET_KEY = env.str("SECRET_KEY", default="bench-secret-key-not-for-any-deployment")
PII_KEYS = env.list("PII_KEYS", default=["YmVuY2gtcGlpLWtleS1ub3QtZm9yLWRlcGxveW1lbnQ="])
PII_HASH_KEY = env.str("PII_HASH_KEY", default="bench-pii-hash-key")
ROOT_URLCONF = "bench.urls"
TRUSTED_PROXIES = ["127.0.0.1"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
if not CACHE_URL and not REDIS_URL:  # noqa: F405
    # Without Redis, each process counts attempts itself (every simulated voter tries once).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

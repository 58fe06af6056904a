"""Settings of the test suite: the real settings, with keys of its own.

The suite runs with DEBUG off, as production does; its own keys keep it (and the worker
processes it starts) clear of the refusal to run on the development keys (core/checks.py).
The environment still wins, so CI may pass its own.
"""

from config.settings import *  # noqa: F403
from config.settings import _redis_next_database, env

SECRET_KEY = env.str("SECRET_KEY", default="test-suite-secret-key-not-for-any-deployment")
PII_KEYS = env.list("PII_KEYS", default=["dGVzdC1zdWl0ZS1waWkta2V5LW5vdC1mb3ItdXNlLSE="])
PII_HASH_KEY = env.str("PII_HASH_KEY", default="test-suite-pii-hash-key")

# Under pytest-xdist each test process (gw0, gw1, ...) takes Redis databases of its own: two processes sharing one
# would let a Celery worker started by one test take the tasks of another process's test (with ids of another test
# database). gwN uses the configured database + 2N (its cache the next one). The shift is made once: the worker and
# server processes that tests start inherit the flag with the shifted URL.
import os  # noqa: E402

_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _xdist.startswith("gw") and not os.environ.get("GONGZHI_TEST_REDIS_SHIFTED"):  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(REDIS_URL)  # noqa: F405
    _number = int(_parts.path.strip("/") or 0) + 2 * int(_xdist[2:])
    if _number > 14:
        raise RuntimeError(f"pytest-xdist worker {_xdist} would need Redis database {_number}: use fewer workers")
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_number}"))
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["GONGZHI_TEST_REDIS_SHIFTED"] = "1"
    if not env.str("CELERY_BROKER_URL", default=""):
        CELERY_BROKER_URL = REDIS_URL
    if not env.str("CELERY_RESULT_BACKEND", default=""):
        CELERY_RESULT_BACKEND = REDIS_URL
    if not CACHE_URL:  # noqa: F405
        CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": _redis_next_database(REDIS_URL),
            }
        }

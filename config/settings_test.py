"""Settings of the test suite: the real settings, with keys of its own.

The suite runs with DEBUG off, as production does; its own keys keep it (and the worker
processes it starts) clear of the refusal to run on the development keys (core/checks.py).
The environment still wins, so CI may pass its own.
"""

from config.settings import *  # noqa: F403
from config.settings import env

SECRET_KEY = env.str("SECRET_KEY", default="test-suite-secret-key-not-for-any-deployment")
PII_KEYS = env.list("PII_KEYS", default=["dGVzdC1zdWl0ZS1waWkta2V5LW5vdC1mb3ItdXNlLSE="])
PII_HASH_KEY = env.str("PII_HASH_KEY", default="test-suite-pii-hash-key")

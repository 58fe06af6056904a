"""Limit attempts per key on the shared cache, for guesses that are not logins.

django-axes guards the login paths. Other secrets that can be guessed (a voting code, for
instance) count their attempts here::

    from core.throttle import hit

    if not hit(f"voting-code:client:{client_ip(request)}", limit=20, window=3600):
        raise TooManyAttempts(...)

The count lives in the project's cache (``settings.CACHES``), which every web worker shares
(Redis or the database in production), so a guesser gains nothing by landing on another
worker. A key's window starts with its first attempt and does not slide.

If the cache cannot be reached (Redis down), an attempt is let through and a warning logged:
counting is impossible then, and refusing would stop every owner voting with a code for the
length of the outage, while the secrets these limits guard are long enough (a voting code holds
about 55 bits) that guessing for the length of an outage gains nothing. docs/operations.md.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from redis.exceptions import RedisError

PREFIX = "throttle:"
logger = logging.getLogger(__name__)


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt for ``key``; return whether it is within ``limit`` attempts per ``window`` seconds."""
    try:
        return _hit(PREFIX + key, limit, window)
    except RedisError:
        logger.warning("cache unreachable: attempt %s let through uncounted", key, exc_info=True)
        return True


def _hit(cache_key: str, limit: int, window: int) -> bool:
    # add() creates the counter only if absent, with its expiry; incr() is atomic on Redis (the
    # database cache reads and writes in two statements, so a burst may be under-counted by a few).
    if cache.add(cache_key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr(): this is the first attempt of a new window
        cache.add(cache_key, 1, timeout=window)
        count = 1
    return count <= limit


def attempts(key: str) -> int:
    """Return how many attempts ``key`` has made in its current window."""
    return int(cache.get(PREFIX + key, 0))


def reset(key: str) -> None:
    """Forget the attempts of ``key`` (after a success that should clear them)."""
    cache.delete(PREFIX + key)

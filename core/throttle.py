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

On Django's Redis cache an attempt is counted in one round trip (``COUNT_SCRIPT``); every online
ballot with a voting code counts one, and the cache's ``add()`` then ``incr()`` cost it two round
trips and a client each (issue 13). Other caches count through the cache's own API.
"""

from __future__ import annotations

import logging

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

PREFIX = "throttle:"
logger = logging.getLogger(__name__)

# Count one attempt; the first of a window gives the counter the window as its expiry (as would any
# count that finds a counter without one). Redis runs a script alone: atomic, on every Redis version.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt for ``key``; return whether it is within ``limit`` attempts per ``window`` seconds."""
    try:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if isinstance(backend, RedisCache):
            return _redis_count(backend, PREFIX + key, window) <= limit
        return _hit(PREFIX + key, limit, window)
    except RedisError:
        logger.warning("cache unreachable: attempt %s let through uncounted", key, exc_info=True)
        return True


def _redis_count(backend: RedisCache, cache_key: str, window: int) -> int:
    """Count one attempt on Django's Redis cache in one round trip; return the window's count so far.

    The key is the cache's own (prefix and version), and the count a plain integer, which the
    cache reads back as it reads what its ``incr()`` wrote (``attempts``, ``reset``).
    """
    key = backend.make_and_validate_key(cache_key)
    client = backend._cache.get_client(key, write=True)  # the client Django's own commands use
    return int(client.eval(COUNT_SCRIPT, 1, key, window))


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

"""The database cache's table, created by ``migrate`` so that no deployment step can be forgotten."""

from django.conf import settings
from django.core.management import call_command


def create_cache_table(sender=None, using: str = "default", verbosity: int = 1, **kwargs) -> None:
    """Create the table of a database cache backend if it is missing (``createcachetable`` is idempotent)."""
    if any(cache["BACKEND"].endswith("DatabaseCache") for cache in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))

"""The cache's Redis database, derived from the broker's when CACHE_URL is not set."""

from config.settings import _redis_next_database


def test_the_cache_takes_the_database_after_the_brokers():
    assert _redis_next_database("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/1"


def test_a_broker_on_the_default_database_gives_the_cache_database_one():
    assert _redis_next_database("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/1"


def test_a_broker_on_the_last_database_gives_the_cache_the_one_before():
    assert _redis_next_database("redis://127.0.0.1:6379/15") == "redis://127.0.0.1:6379/14"

"""core.throttle: attempts per key on the shared cache."""

import pytest

from core import throttle


def test_attempts_within_the_limit_pass_and_the_next_is_refused():
    results = [throttle.hit("code:client:1", limit=3, window=60) for _ in range(4)]
    assert results == [True, True, True, False]
    assert throttle.attempts("code:client:1") == 4


def test_keys_are_counted_apart():
    for _ in range(3):
        throttle.hit("code:client:1", limit=3, window=60)
    assert throttle.hit("code:client:2", limit=3, window=60)


def test_a_reset_forgets_the_attempts():
    for _ in range(5):
        throttle.hit("code:client:1", limit=3, window=60)
    throttle.reset("code:client:1")
    assert throttle.hit("code:client:1", limit=3, window=60)


def test_the_window_ends_and_counting_starts_again(monkeypatch):
    from django.core.cache import cache

    for _ in range(5):
        throttle.hit("code:client:1", limit=3, window=60)
    cache.delete(throttle.PREFIX + "code:client:1")  # the window's expiry, without waiting a minute
    assert throttle.hit("code:client:1", limit=3, window=60)


@pytest.mark.redis
def test_the_count_is_shared_through_redis_by_every_worker(settings):
    from django.core.cache import caches

    assert "Redis" in settings.CACHES["default"]["BACKEND"]
    for _ in range(3):
        assert throttle.hit("vote:7:client:1", limit=3, window=60)
    # Another worker is another process with its own connection: the same server and database.
    other = caches.create_connection("default")
    assert other.get(throttle.PREFIX + "vote:7:client:1") == 3
    assert not throttle.hit("vote:7:client:1", limit=3, window=60)


@pytest.mark.django_db
def test_the_database_cache_counts_too_in_the_table_migrate_creates(settings):
    from core.caching import create_cache_table

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gongzhi_cache"}
    }
    create_cache_table()  # what the post_migrate hook does
    results = [throttle.hit("code:client:9", limit=2, window=60) for _ in range(3)]
    assert results == [True, True, False]


def test_an_attempt_is_let_through_uncounted_when_the_cache_cannot_be_reached(settings, caplog):
    from core.tests.liveserver import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    assert throttle.hit("voting-code:client:10.0.0.1", limit=1, window=60) is True
    assert throttle.hit("voting-code:client:10.0.0.1", limit=1, window=60) is True
    assert "cache unreachable" in caplog.text


def _commands_sent(monkeypatch) -> list:
    from redis import Redis

    sent = []
    original = Redis.execute_command

    def execute_command(self, *args, **options):
        sent.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", execute_command)
    return sent


def _ttl(key: str) -> int:
    from django.core.cache import cache

    full = cache.make_and_validate_key(throttle.PREFIX + key)
    return cache._cache.get_client(full).ttl(full)


@pytest.mark.redis
def test_on_redis_an_attempt_is_counted_in_one_round_trip(monkeypatch):
    sent = _commands_sent(monkeypatch)
    assert [throttle.hit("code:client:3", limit=2, window=60) for _ in range(3)] == [True, True, False]
    assert sent == ["EVAL"] * 3
    assert throttle.attempts("code:client:3") == 3


@pytest.mark.redis
def test_on_redis_the_window_starts_with_the_first_attempt_and_does_not_slide():
    from django.core.cache import cache

    throttle.hit("code:client:4", limit=5, window=60)
    assert 0 < _ttl("code:client:4") <= 60
    full = cache.make_and_validate_key(throttle.PREFIX + "code:client:4")
    cache._cache.get_client(full, write=True).expire(full, 5)  # the window nearly over
    throttle.hit("code:client:4", limit=5, window=60)
    assert 0 < _ttl("code:client:4") <= 5


@pytest.mark.redis
def test_on_redis_a_counter_found_without_an_expiry_is_given_the_window():
    from django.core.cache import cache

    cache.set(throttle.PREFIX + "code:client:5", 2, timeout=None)
    assert throttle.hit("code:client:5", limit=3, window=60)
    assert 0 < _ttl("code:client:5") <= 60 and throttle.attempts("code:client:5") == 3

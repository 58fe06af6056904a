"""A deployment that is safe by default (issue 10 items 6 and 10): development keys refused, HSTS behind
HTTPS, a shared cache, a Content Security Policy on every answer."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import Client

from core.checks import development_keys_in_use

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("SECRET_KEY", "PII_KEYS", "PII_HASH_KEY")
REAL_KEYS = {
    "SECRET_KEY": "a-deployment-secret-key-of-its-own-0123456789",
    "PII_KEYS": "VGhpcy1pcy1hLXRlc3QtZmVybmV0LWtleS0zMmJ5dGU=",
    "PII_HASH_KEY": "a-deployment-hash-key",
}


def run(code: str, **env) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python with the production settings and ``env`` (no keys unless given)."""
    base = {k: v for k, v in os.environ.items() if k not in (*KEYS, "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_web_process_refuses_to_start_on_the_development_keys():
    result = run("import config.wsgi", DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in KEYS:
        assert name in result.stderr


def test_the_refusal_names_only_the_keys_still_at_their_development_value():
    result = run("import config.wsgi", DEBUG="0", SECRET_KEY=REAL_KEYS["SECRET_KEY"])
    assert result.returncode != 0
    assert "PII_KEYS" in result.stderr and "PII_HASH_KEY" in result.stderr
    assert "SECRET_KEY (" not in result.stderr


@pytest.mark.parametrize("signal", ["worker_init", "beat_init"])
def test_a_celery_worker_or_beat_refuses_to_start_on_the_development_keys(signal):
    code = (
        "import django; django.setup(); import config.celery; from celery import signals; "
        f"signals.{signal}.send(sender=None)"
    )
    result = run(code, DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_the_web_process_starts_with_keys_of_its_own():
    result = run("import config.wsgi; print('started')", DEBUG="0", **REAL_KEYS)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_web_process_starts_on_the_development_keys_under_debug():
    result = run("import config.wsgi; print('started')", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_the_deploy_check_names_each_development_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEVELOPMENT_KEYS["SECRET_KEY"]
    settings.PII_KEYS = settings.DEVELOPMENT_KEYS["PII_KEYS"]
    settings.PII_HASH_KEY = settings.DEVELOPMENT_KEYS["PII_HASH_KEY"]
    errors = {e.id: e for e in run_checks(include_deployment_checks=True) if e.id.startswith("core.")}
    assert set(errors) == {"core.E001", "core.E002", "core.E003"}
    assert "PII_KEYS" in errors["core.E002"].msg


def test_a_retired_development_key_kept_for_reading_still_counts(settings):
    settings.PII_KEYS = [REAL_KEYS["PII_KEYS"], *settings.DEVELOPMENT_KEYS["PII_KEYS"]]
    assert "PII_KEYS" in development_keys_in_use()


def test_the_test_suite_runs_on_keys_of_its_own():
    assert development_keys_in_use() == []


def test_hsts_is_sent_for_a_year_with_subdomains_behind_https():
    result = run(
        "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SECURE_SSL_REDIRECT)",
        HTTPS="1",
    )
    assert result.stdout.split() == ["31536000", "True", "False", "True"], result.stderr


def test_no_hsts_without_https():
    result = run("from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS)")
    assert result.stdout.split() == ["0"], result.stderr


@pytest.mark.parametrize(
    ("env", "backend", "location"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "RedisCache", "redis://127.0.0.1:6379/1"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "RedisCache", "redis://127.0.0.1:6379/4"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "CACHE_URL": "redis://10.0.0.5:6379/7"}, "RedisCache", ""),
        ({}, "DatabaseCache", "gongzhi_cache"),
        ({"DEBUG": "1"}, "LocMemCache", ""),
    ],
)
def test_the_cache_is_shared_by_every_worker_unless_under_debug(env, backend, location):
    base = {"REDIS_URL": "", "CACHE_URL": "", **env}
    result = run(
        "from django.conf import settings as s; c = s.CACHES['default']; print(c['BACKEND'], c.get('LOCATION', ''))",
        **base,
    )
    printed = result.stdout.split()
    assert printed[0].endswith(backend), result.stderr
    if location:
        assert printed[1] == location
    if "CACHE_URL" in env:
        assert printed[1] == env["CACHE_URL"]


@pytest.mark.django_db
def test_every_page_carries_a_content_security_policy():
    policy = Client().get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_an_inline_style_carries_the_nonce_the_policy_names():
    import re

    response = Client().get("/votes/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()

"""Login guessing (issue 10 item 6): django-axes counts failures in the database, per username and per
client address, on the session login, the admin login and the API token; X-Forwarded-For counts only
from a trusted proxy."""

import pytest
from django.test import Client

from core.clientip import client_ip
from governance.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234"  # the factories' password


def session_login(client, username, password, **extra):
    response = client.post("/login/", {"username": username, "password": password}, **extra)
    return response.status_code, "_auth_user_id" in client.session


def admin_login(client, username, password, **extra):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}, **extra
    )
    return response.status_code, "_auth_user_id" in client.session


def token_login(client, username, password, **extra):
    response = client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json", **extra
    )
    return response.status_code, response.status_code == 200 and "token" in response.json()


PATHS = {"session": session_login, "admin": admin_login, "token": token_login}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_right_password_logs_in(path):
    UserFactory(username="alice", is_staff=True)
    status, logged_in = PATHS[path](Client(), "alice", PASSWORD)
    assert logged_in, status


@pytest.mark.parametrize("path", sorted(PATHS))
def test_after_100_wrong_passwords_the_right_one_is_refused(path):
    UserFactory(username="alice", is_staff=True)
    login = PATHS[path]
    client = Client()
    for n in range(100):
        login(client, "alice", f"guess-{n}")
    status, logged_in = login(client, "alice", PASSWORD)
    assert status == 429
    assert not logged_in


def test_the_api_lockout_answers_in_the_apis_error_format():
    UserFactory(username="alice")
    client = Client()
    for n in range(10):
        token_login(client, "alice", f"guess-{n}")
    response = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_a_locked_username_stays_locked_from_another_address():
    UserFactory(username="alice")
    client = Client()
    for n in range(10):
        session_login(client, "alice", f"guess-{n}", REMOTE_ADDR=f"10.0.0.{n + 1}")
    status, logged_in = session_login(Client(), "alice", PASSWORD, REMOTE_ADDR="10.0.1.1")
    assert (status, logged_in) == (429, False)


def test_a_guessing_address_is_locked_for_every_username():
    UserFactory(username="bob")
    client = Client()
    for n in range(10):
        session_login(client, f"someone-{n}", "guess", REMOTE_ADDR="203.0.113.9")
    status, logged_in = session_login(Client(), "bob", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert (status, logged_in) == (429, False)


def test_a_forged_forwarded_for_from_an_untrusted_client_does_not_reset_the_count():
    UserFactory(username="bob")
    client = Client()
    for n in range(10):
        # A different user and a different forged address each time: only REMOTE_ADDR is believed.
        token_login(client, f"someone-{n}", "guess", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    status, logged_in = token_login(
        Client(), "bob", PASSWORD, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.200"
    )
    assert (status, logged_in) == (429, False)


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(settings):
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]
    UserFactory(username="bob")
    client = Client()
    for n in range(10):
        token_login(client, f"someone-{n}", "guess", REMOTE_ADDR="10.1.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    # Another client behind the same proxy is not locked out by the guesser.
    status, logged_in = token_login(
        Client(), "bob", PASSWORD, REMOTE_ADDR="10.1.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert logged_in, status


def test_the_client_address_is_the_nearest_untrusted_hop(settings, rf):
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]
    request = rf.get("/", REMOTE_ADDR="10.1.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 10.1.0.9")
    assert client_ip(request) == "198.51.100.7"


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings, rf):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_ip(request) == "203.0.113.9"


def test_logging_in_to_ones_own_account_does_not_clear_an_addresss_failures():
    UserFactory(username="mallory")
    UserFactory(username="bob")
    client = Client()
    for n in range(9):
        session_login(client, f"someone-{n}", "guess", REMOTE_ADDR="203.0.113.9")
    assert session_login(Client(), "mallory", PASSWORD, REMOTE_ADDR="203.0.113.9")[1]
    session_login(client, "someone-9", "guess", REMOTE_ADDR="203.0.113.9")
    status, logged_in = session_login(Client(), "bob", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert (status, logged_in) == (429, False)

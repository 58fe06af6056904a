"""Weak passwords (issue 10 item 7): Django's validators run on every path that sets one."""

import pytest
from django.test import Client

from core.errors import ApplicationError
from governance import services
from governance.models import AuditEvent, User
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "password"),
    [("new-clerk", "12345678"), ("wangxiaoming", "wangxiaoming"), ("new-clerk", "password123"), ("new-clerk", "x7#k")],
)
def test_the_api_refuses_a_weak_password_and_creates_no_user(api, cast, username, password):
    response = api.as_user(cast["admin"]).post(
        "/api/v1/users/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 400
    assert response.data["code"] == "weak_password"
    assert "password" in response.data["fields"]
    assert not User.objects.filter(username=username).exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_the_api_accepts_a_strong_password(api, cast):
    response = api.as_user(cast["admin"]).post(
        "/api/v1/users/", {"username": "new-clerk", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 201
    assert User.objects.get(username="new-clerk").check_password("correct-horse-battery")


def test_the_service_refuses_a_weak_password_even_for_the_system(db):
    with pytest.raises(ApplicationError) as refused:
        services.user_create(username="loader", password="12345678", actor=SYSTEM)
    assert refused.value.code == "weak_password"
    assert not User.objects.filter(username="loader").exists()


def test_the_demo_password_passes_the_validators(db):
    from governance.demo import DEMO_PASSWORD, DEMO_USERS

    for username, *_rest in DEMO_USERS:
        assert services.password_refusal(DEMO_PASSWORD, User(username=username)) == []


@pytest.mark.parametrize("password", ["12345678", "newclerk01"])
def test_the_admin_refuses_a_weak_password_and_creates_no_user(cast, password):
    client = Client()
    client.force_login(cast["admin"])
    response = client.post(
        "/admin/governance/user/add/",
        {"username": "newclerk01", "password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 200  # the form comes back with the validators' messages
    assert not User.objects.filter(username="newclerk01").exists()


def test_the_admin_creates_a_login_through_the_service(cast):
    client = Client()
    client.force_login(cast["admin"])
    response = client.post(
        "/admin/governance/user/add/",
        {
            "username": "newclerk01",
            "password1": "correct-horse-battery",
            "password2": "correct-horse-battery",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newclerk01")
    assert user.check_password("correct-horse-battery")
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk), actor=cast["admin"]).exists()

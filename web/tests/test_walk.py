"""Every demo role walks every page it can reach (issue 12, "what it must show"): no 500, no link that answers
403 or 404 to the user who sees it, no English in the Chinese interface (msgids, verbose names, column titles)."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from governance.models import User
from web.tests.walk import walk

ROLES = ["admin", "auditor", "reviewer", "street", "secretary", "committee", "clerk", "resident", "supervisor"]
SEEDS = ["/", "/mine/", "/votes/", "/desk/", "/queue/", "/reports/", "/audit/", "/committees/", "/estates/"]
ADMIN_SEEDS = ["/admin/"]
SUPERUSER_ADMIN = re.compile(r"^/admin/")


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


@pytest.mark.django_db
def test_every_demo_role_walks_its_pages_without_an_error_a_dead_link_or_english(demo):
    problems, walked = [], 0
    logins = frozenset(User.objects.values_list("username", flat=True))  # data, not interface
    for role in ROLES:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=role))
        seeds = SEEDS + (ADMIN_SEEDS if User.objects.get(username=role).is_staff else [])
        result = walk(
            client,
            seeds,
            user=role,
            max_pages=50 if role != "admin" else 90,
            max_links=250,
            data_words=logins,
            # The superuser's admin also shows third-party apps (django-axes, django-celery-beat, tokens) in
            # their vendors' words; the staff's admin (a secretary's) shows only ours and is checked.
            words_exempt=SUPERUSER_ADMIN if role == "admin" else None,
        )
        problems += result.problems
        walked += len(result.walked)
    anonymous = walk(
        Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), ["/", "/votes/", "/login/"], user="anonymous", data_words=logins
    )
    problems += anonymous.problems
    assert walked > 200
    assert problems == [], "\n".join(problems[:60])

"""The README's screenshot of the owner's phone ballot, made from the demo data in Chromium.

Not a check: it runs only when asked (``README_SCREENSHOTS=1``), writes ``docs/screenshots/`` and is
skipped otherwise, so CI spends nothing on it. Regenerate after the owner's pages change::

    README_SCREENSHOTS=1 .venv/bin/python -m pytest -q web/tests/test_readme_screenshots.py
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from elections.demo import RESOLUTION_TITLE
from elections.models import Vote
from governance.models import User
from web.tests.browser import PHONE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("README_SCREENSHOTS") != "1", reason="makes the README's screenshots on demand"),
]


def test_the_owners_phone_ballot_from_the_demo(screen):
    call_command("load_demo", stdout=io.StringIO())
    vote = Vote.objects.get(title=RESOLUTION_TITLE)
    s = screen(User.objects.get(username="resident"), "readme-owner", PHONE)
    s.go(f"/votes/{vote.pk}/")
    s.page.get_by_label("同意").check()
    s.fits()
    s.page.screenshot(path=str(DOCS / "owner-phone-ballot.png"), full_page=True)

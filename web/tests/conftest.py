import pytest
from django.test import Client

from web.tests.browser import browser, screen  # noqa: F401  (the browser tests' fixtures)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep uploaded vouchers, attachments and report files out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(world):
    """The shared small district, each place as the database holds it (tree positions moved as siblings came)."""
    for place in world.values():
        place.refresh_from_db()
    return world


@pytest.fixture
def login():
    """``login(user)`` → a test client logged in as ``user`` (``None``: a logged-out visitor)."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make

"""Driving Debian's Chromium through Playwright for the end-to-end tests of each job: one browser per session,
a logged-in page per test, screenshots kept (git-ignored), and the checks every page must pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-screenshots"

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


UNNAMED_CONTROLS = """
[...document.querySelectorAll("input, select, textarea, button")]
  .filter((el) => el.type !== "hidden" && el.offsetParent !== null)
  .filter((el) => !((el.labels && el.labels.length) || el.getAttribute("aria-label")
    || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim()) || el.title))
  .map((el) => el.outerHTML.slice(0, 120))
"""


@pytest.fixture(scope="module")
def browser():
    """One Chromium for a module's tests (starting it costs about a second).

    Not for the whole session: other modules drive Playwright's sync API themselves, which refuses
    to start while another sync instance runs in the same process.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Screen:
    """A page of the browser as one user on one screen, with the checks every page passes."""

    def __init__(self, page, base: str, name: str):
        self.page, self.base, self.name, self.shots = page, base, name, 0

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        return response

    def shot(self, label: str) -> Path:
        """Save a full-page screenshot and check the page: it fits the screen and breaks no CSP rule."""
        SCREENSHOTS.mkdir(exist_ok=True)
        self.shots += 1
        path = SCREENSHOTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.fits()
        self.obeys_csp()
        self.labelled()
        return path

    def fits(self) -> None:
        """Nothing scrolls sideways: the page is no wider than the screen (tables scroll in their own box)."""
        width, inner = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{self.page.url} scrolls sideways at {inner} px ({width} px wide)"

    def labelled(self) -> None:
        """Every visible form control has an accessible name (WCAG 1.3.1, 4.1.2): a label, aria-label or text."""
        unnamed = self.page.evaluate(UNNAMED_CONTROLS)
        assert unnamed == [], f"{self.page.url}: controls without a name: {unnamed}"

    def obeys_csp(self) -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [], f"{self.page.url}: {violations}"


@pytest.fixture
def screen(browser, live_server):
    """``screen(user, name, viewport)`` → a ``Screen`` logged in as ``user`` (``None``: logged out)."""
    from django.test import Client

    contexts = []

    def make(user, name: str, viewport: dict = DESKTOP) -> Screen:
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.add_init_script(RECORD_VIOLATIONS)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
            )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return Screen(page, live_server.url, name)

    yield make
    for context in contexts:
        context.close()

"""Every page satisfies the Content Security Policy (issue 10 item 10), in real Chromium.

The demo is loaded and a superuser walks the site: from the dashboard, the vote pages, the
register, the committees, the admin and the API documentation, every same-site link is
followed once per URL shape (numbers stand for any id). No page may log a CSP violation.
"""

import os
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SEEDS = ["/", "/votes/", "/register/imports/", "/committees/", "/admin/", "/api/docs/"]
SKIP = re.compile(
    r"/logout|/i18n/|/api/(?!docs/)|/delete/|/history/|/password/|export|download|\.(pdf|xlsx|csv)$|/static/|/media/"
)
MAX_PAGES = 250

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def shape(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


def violations_on(page, url: str, console: list[str]) -> list[str]:
    """Load ``url`` and return the CSP violations it reported (events and console errors alike)."""
    console.clear()
    response = page.goto(url, wait_until="load")
    page.wait_for_timeout(50)
    found = page.evaluate("window.__csp || []") + [text for text in console if "Content Security Policy" in text]
    return response, found


def crawl(page, base: str) -> tuple[list[str], dict[str, list[str]]]:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    seen_shapes: set[str] = set()
    queue = [base + seed for seed in SEEDS]
    visited, violations = [], {}
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        if shape(url) in seen_shapes:
            continue
        seen_shapes.add(shape(url))
        try:
            response, found = violations_on(page, url, console)
        except Exception:  # a download or an aborted navigation: nothing rendered
            continue
        visited.append(f"{response.status if response else '-'} {urlsplit(url).path}")
        if found:
            violations[url] = found
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urljoin(url, href.split("#")[0])
            parts = urlsplit(target)
            if parts.netloc == urlsplit(base).netloc and not parts.query and not SKIP.search(parts.path):
                queue.append(target)
    return visited, violations


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_violates_the_content_security_policy(live_server, client):
    from io import StringIO

    from playwright.sync_api import sync_playwright

    from governance.models import User

    call_command("load_demo", stdout=StringIO())
    client.force_login(User.objects.get(username="admin"))
    session = client.cookies["sessionid"].value

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_init_script(RECORD_VIOLATIONS)
            anonymous = context.new_page()
            console: list[str] = []
            anonymous.on("console", lambda message: console.append(message.text))
            _, login_violations = violations_on(anonymous, live_server.url + "/login/", console)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            visited, violations = crawl(context.new_page(), live_server.url)
        finally:
            browser.close()
    assert len(visited) > 20, visited
    assert login_violations == []
    assert violations == {}

"""Walk the site as one user: follow every same-site link, fetch it, judge the answer and the words on the page.

Used by ``test_walk.py`` (every demo role, the demo loaded once). A page fails when it answers 500,
when a link on it answers 403 or 404 to the same user, or when its Chinese interface shows English
words: a msgid left in English, a verbose name never marked (``created at``), a column titled by a
field's name. Data that is not language (hashes, codes, file names, logins) sits in ``<code>`` or
inside an element marked ``translate="no"``, which the check skips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Links not followed: leaving the session, switching language, files, the API and its docs, deletions.
SKIP = re.compile(
    r"^/(logout|i18n|api|static|media)/|/delete/|/history/|/password/|/export/|/download/|/voucher/|/attachments/"
    r"|/pdf/$|/xlsx/$|\.(csv|xlsx|pdf|ico|png|svg)$|/template\.|/admin/jsi18n/|/admin/r/|/autocomplete/"
)
# English that belongs in a Chinese page: names of formats and products, the language switch, units.
ALLOWED = {
    "english",
    "pdf",
    "xlsx",
    "csv",
    "api",
    "sha",
    "http",
    "https",
    "wechat",
    "echarts",
    "django",
    "gongzhi",
    "json",
    "utf",
    "gb",
    "excel",
    "id",
    "control",
    "command",
    "mac",
}
# A token with digits in it is data (a hash, a code, a file name, a date), never a word of the interface.
TOKEN = re.compile(r"[A-Za-z0-9_@.\-]+")
WORD = re.compile(r"^[A-Za-z]{3,}$")
LINKS_PER_SHAPE = 3
# What is not checked: program text, entered values, choices of objects (people, places), data marked so.
SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp", "pre", "textarea", "noscript", "svg", "option"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _words(text: str) -> list[str]:
    return [token for token in TOKEN.findall(text) if WORD.match(token)]


class _Page(HTMLParser):
    """The page's visible words (outside code and ``translate="no"``) and its same-site links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.words: list[str] = []
        self.links: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        # Django's admin icons carry alt="True"/"False"/"Search" in any language: alt is not checked.
        for name in ("title", "aria-label"):
            if attrs.get(name) and not self._skipping() and attrs.get("translate") != "no":
                self.words.extend(_words(attrs[name]))
        if tag in VOID:
            return
        skip = tag in SKIPPED_TAGS or attrs.get("translate") == "no" or attrs.get("lang") == "en"
        self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self._skipping():
            self.words.extend(_words(data))


def english_words(html: str, data_words: frozenset[str] = frozenset()) -> list[str]:
    """The English words a Chinese page shows; ``data_words`` (logins, say) are data, not interface."""
    parser = _Page()
    parser.feed(html)
    return sorted({w for w in parser.words if w.lower() not in ALLOWED and w not in data_words})


def links_of(html: str, url: str) -> list[str]:
    parser = _Page()
    parser.feed(html)
    found = []
    for href in parser.links:
        if href.startswith(("mailto:", "javascript:", "#", "tel:")):
            continue
        target = urljoin(url, href.split("#")[0])
        parts = urlsplit(target)
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP.search(parts.path):
            found.append(path)
    return found


def shape(url: str) -> str:
    """Numbers stand for any id: one page of each shape is walked (its links are all checked)."""
    parts = urlsplit(url)
    query = "&".join(sorted(p for p in parts.query.split("&") if p and not p.startswith("page=")))
    return re.sub(r"\d+", "N", parts.path) + ("?" + re.sub(r"\d+", "N", query) if query else "")


@dataclass
class Walk:
    status: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    walked: list[str] = field(default_factory=list)


def walk(
    client,
    seeds: list[str],
    *,
    user: str,
    max_pages: int = 120,
    max_links: int = 600,
    data_words: frozenset[str] = frozenset(),
    words_exempt: re.Pattern | None = None,
) -> Walk:
    """Walk from ``seeds`` as the logged-in ``client``; return every status seen and every problem found.

    ``words_exempt`` names paths whose words are not checked (a superuser's admin, where third-party
    apps such as django-axes and django-celery-beat show their vendors' own strings).
    """
    result = Walk()
    queue = list(seeds)
    seen_shapes: set[str] = set()
    checked = 0
    # Links are checked a few of each shape (three estates' pages, not three hundred): a link that
    # fails for every object of a kind fails for the first ones too.
    per_shape: dict[str, int] = {}
    while queue and len(result.walked) < max_pages:
        url = queue.pop(0)
        if shape(url) in seen_shapes:
            continue
        seen_shapes.add(shape(url))
        response = client.get(url)
        result.status[url] = response.status_code
        result.walked.append(url)
        if response.status_code >= 500:
            result.problems.append(f"{user}: {url} answered {response.status_code}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        words = [] if words_exempt and words_exempt.search(url) else english_words(html, data_words)
        if words:
            result.problems.append(f"{user}: {url} shows English in the Chinese interface: {words[:12]}")
        for link in links_of(html, url):
            link_shape = shape(link)
            if link not in result.status and checked < max_links and per_shape.get(link_shape, 0) < LINKS_PER_SHAPE:
                checked += 1
                per_shape[link_shape] = per_shape.get(link_shape, 0) + 1
                answer = client.get(link)
                result.status[link] = answer.status_code
                if answer.status_code in (403, 404) or answer.status_code >= 500:
                    result.problems.append(f"{user}: {url} links to {link}, which answers {answer.status_code}")
            if result.status.get(link) == 200 and shape(link) not in seen_shapes:
                queue.append(link)
    return result

"""English is really available: the catalogue is complete and compiled, and the language follows the request."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(line: str) -> str:
    return ast.literal_eval(line) if line.startswith('"') else ""


def _entries(path: Path):
    """Every live entry of a .po file as {msgid, msgid_plural, msgstr: {index: text}, flags}; no polib needed."""
    entries, current, field = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current is not None:
                entries.append(current)
            current, field = None, None
            continue
        if line.startswith("#~"):
            continue  # obsolete entries do not count
        if current is None:
            current = {"msgid": "", "msgid_plural": None, "msgstr": {}, "flags": set()}
        if line.startswith("#,"):
            current["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field = "msgctxt"
        elif line.startswith("msgid_plural "):
            field = "msgid_plural"
            current["msgid_plural"] = _unquote(line.split(" ", 1)[1])
        elif line.startswith("msgid "):
            field = "msgid"
            current["msgid"] = _unquote(line.split(" ", 1)[1])
        elif line.startswith("msgstr"):
            match = re.match(r"msgstr(?:\[(\d+)\])? (.*)", line)
            field = ("msgstr", int(match.group(1) or 0))
            current["msgstr"][field[1]] = _unquote(match.group(2))
        elif line.startswith('"'):
            if isinstance(field, tuple):
                current["msgstr"][field[1]] += _unquote(line)
            elif field in ("msgid", "msgid_plural"):
                current[field] = (current[field] or "") + _unquote(line)
    return [e for e in entries if e["msgid"]]  # drop the header


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|%%")


def test_every_msgid_is_translated_and_compiled():
    """A string added later and not translated (or left fuzzy) fails here, not in front of an English user."""
    entries = _entries(PO)
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    assert not untranslated, f"untranslated in {PO.name}: {untranslated[:10]}"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy in {PO.name}: {fuzzy[:10]}"
    for e in entries:
        for msgstr in e["msgstr"].values():
            assert sorted(PLACEHOLDER.findall(e["msgid"])) == sorted(PLACEHOLDER.findall(msgstr)), e["msgid"]

    assert MO.exists(), "run: python manage.py compilemessages -l en"
    with translation.override("en"):
        stale = []
        for e in entries:
            if e["msgid_plural"]:
                got = translation.ngettext(e["msgid"], e["msgid_plural"], 2)
                want = e["msgstr"][1]
            else:
                got, want = translation.gettext(e["msgid"]), e["msgstr"][0]
            if got != want:
                stale.append(e["msgid"])
        assert not stale, f"django.mo does not match django.po (compilemessages -l en): {stale[:10]}"


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "gettext_noop"}
SOURCE_DIRS = ("config", "core", "governance", "residents", "elections", "committees", "oversight", "templates")


def _source_msgids():
    """(file, msgid) for every string the source marks for translation: Python calls and template tags."""
    from django.utils.translation.template import templatize

    base = Path(settings.BASE_DIR)
    for top in SOURCE_DIRS:
        for path in sorted((base / top).rglob("*")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            if path.suffix == ".py":
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if (
                        isinstance(node, ast.Call)
                        and getattr(node.func, "id", getattr(node.func, "attr", None)) in GETTEXT_NAMES
                        and node.args
                        and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)
                    ):
                        yield path.relative_to(base), node.args[0].value
            elif path.suffix in (".html", ".txt"):
                code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
                for literal in re.findall(r"\bn?gettext\(u('(?:[^'\\]|\\.)*')", code):
                    yield path.relative_to(base), ast.literal_eval(literal)


def test_the_catalogue_has_every_string_of_the_source():
    """A string added to the code without re-running makemessages fails here."""
    msgids = {e["msgid"] for e in _entries(PO)}
    found = list(_source_msgids())
    assert len(found) > 500
    missing = sorted({f"{path}: {msgid}" for path, msgid in found if msgid not in msgids})
    assert not missing, "run makemessages -l en, translate and compilemessages -l en; missing: " + "; ".join(
        missing[:10]
    )


@pytest.mark.django_db
def test_the_login_page_is_in_chinese_by_default():
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html and "用户名" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_the_login_page_is_in_english_when_the_browser_asks_for_it():
    response = Client().get("/login/", headers={"accept-language": "en-GB,en;q=0.9"})
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Log in" in html and "Username" in html and "Password" in html
    assert "用户名" not in html


@pytest.mark.django_db
def test_the_language_cookie_wins_over_the_browser():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/login/", headers={"accept-language": "zh-CN,zh;q=0.9"}).content.decode()
    assert "Log in" in html and "用户名" not in html


@pytest.mark.django_db
def test_setlang_switches_the_pages_and_goes_back(cast):
    client = Client()
    client.force_login(cast["secretary_a"])
    assert "工作台" in client.get("/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    html = client.get("/").content.decode()
    assert "Dashboard" in html and "Log out" in html and "工作台" not in html
    assert 'value="en" class="link" lang="en" aria-current="true"' in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_switch_keeps_the_current_path():
    html = Client().get("/login/?next=/votes/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'name="next" value="/login/?next=/votes/"' in html
    assert ">中文</button>" in html and ">English</button>" in html


def _illegal_nesting(api, cast, world, **headers):
    return api.as_user(cast["secretary_a"]).post(
        "/api/v1/places/",
        {"kind": "estate", "name": "错位", "parent": world["building_a1"].pk},
        format="json",
        headers=headers,
    )


def test_an_api_error_is_in_english_with_accept_language_en(api, cast, world):
    response = _illegal_nesting(api, cast, world, accept_language="en")
    assert response.status_code == 400
    detail = str(response.data["detail"])
    assert "cannot sit under" in detail and "“Estate”" in detail and "“Building”" in detail
    assert not re.search(r"[\u4e00-\u9fff]", detail.replace("错位", ""))


def test_an_api_error_is_in_chinese_by_default(api, cast, world):
    response = _illegal_nesting(api, cast, world)
    assert response.status_code == 400
    assert "不能挂在" in str(response.data["detail"])

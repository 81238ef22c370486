"""Time the weekly digest (see scripts/bench-digest)."""
import os
import random
import resource
import sys
import tempfile
import time
from datetime import timedelta

from sqlalchemy import event, insert

from config import normalise_db_url
from forum import create_app
from forum.extensions import db
from forum.models import Community, Forum, ForumPair, Membership, OutboxMessage, User, utcnow
from forum.services import posting
from forum.services.digests import send_digests


def main() -> None:
    members = int(sys.argv[1]) if len(sys.argv) > 1 else 3200
    posts = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    folder = tempfile.mkdtemp(prefix="bench-digest-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url), BASE_URL="https://forum.example.org")
    rng = random.Random(7)
    with app.app_context():
        db.drop_all()
        db.create_all()
        now = utcnow()
        community = Community(slug="red", name_es="Red", name_en="Network", visibility="public", join_policy="open")
        db.session.add(community)
        db.session.flush()
        for start in range(0, members, 10_000):
            db.session.execute(insert(User), [dict(
                email=f"m{i}@example.org", display_name=f"Persona {i}", handle=f"m{i}",
                locale=rng.choice(["es", "es", "en"]), email_confirmed_at=now, digest_frequency="weekly",
                created_at=now) for i in range(start, min(members, start + 10_000))])
        ids = db.session.execute(db.select(User.id)).scalars().all()
        for start in range(0, len(ids), 10_000):
            db.session.execute(insert(Membership), [dict(user_id=i, community_id=community.id, role="member",
                                                         state="active", created_at=now) for i in ids[start:start + 10_000]])
        pair = ForumPair(community_id=community.id, slug="p", opens_at=now - timedelta(days=10),
                         closes_at=now + timedelta(days=50), allow_member_threads=True)
        db.session.add(pair)
        db.session.flush()
        forums = []
        for lang in ("es", "en"):
            forum = Forum(pair_id=pair.id, community_id=community.id, language=lang, slug=f"p-{lang}", title=f"Foro {lang}")
            db.session.add(forum)
            db.session.flush()
            forums.append(forum)
        authors = [db.session.get(User, i) for i in ids[:200]]
        threads = []
        for i in range(posts):
            forum = forums[i % 2]
            if i % 10 == 0 or not threads:
                threads.append(posting.create_thread(forum, rng.choice(authors), title=f"Tema {i}",
                                                     body="Texto de un tema " * 20))
            else:
                post = posting.add_post(rng.choice(threads), rng.choice(authors), f"Respuesta {i} " * 30)
                post.is_highlight = i % 25 == 0
                post.useful_count = rng.randint(0, 6)
        db.session.commit()
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}; {members} members, {posts} posts")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        started, cpu = time.perf_counter(), time.process_time()
        counts = send_digests("weekly", now=now + timedelta(minutes=1))
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        selects = sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"weekly digest: {took:.1f} s (CPU {cpu:.1f} s), {counts}, {len(statements)} SQL statements ({selects} SELECT); "
              f"peak memory (max RSS, the whole process) {peak} MB, {before} MB before the digest")
        queued = db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar()
        print(f"messages in the outbox: {queued}")
        db.session.remove()  # its open transaction would make DROP TABLE wait (PostgreSQL)
        db.drop_all()


if __name__ == "__main__":
    main()

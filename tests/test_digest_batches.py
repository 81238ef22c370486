"""The digest at scale: each member's email as rendered for them alone, one per member and
period across batches and after a crash midway, and a late start still sending the day's."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forum import tokens
from forum.mail import absolute_url, queue_email
from forum.models import OutboxMessage, ThreadRead, User, utcnow
from forum.services import digests, posting, watching
from forum.services.digest_render import DigestRenderer
from tests.conftest import forum_of, outbox
from tests.test_loose_email import old_thread

TRICKY = ["O'Brien & \"Co\" <b>", "Ana\xa0María", "Ben", "Zoë", "Plain", "Reader", "Watcher", "Quiet one"]


@pytest.fixture
def crowd(db, make_user, make_community, make_pair, monkeypatch):
    """Eight members (names HTML must escape, both languages), one who read a thread, one who
    watches one with new replies, one who wrote; tokens made predictable so emails compare."""
    monkeypatch.setattr(tokens, "make", lambda purpose, data: f"{purpose}-{data['u']}-{data.get('c', '')}")
    people = [make_user(name, locale="en" if i % 3 == 1 else "es") for i, name in enumerate(TRICKY)]
    community = make_community(members={p: "member" for p in people})
    pair = make_pair(community)
    pair.allow_member_threads = True
    db.session.commit()
    es, en = forum_of(pair, "es"), forum_of(pair, "en")
    old = old_thread(db, es, people[4], "Cuencas & ríos")
    watching.set_watch(people[6], old, True)
    for n in range(3):
        posting.add_post(old, people[2], f"Respuesta {n} <con> “comillas”")
    fresh = posting.create_thread(en, people[2], title="Water <stories>", body="Mine & yours")
    highlight = posting.add_post(fresh, people[3], "A key idea about basins")
    highlight.is_highlight = True
    db.session.add(ThreadRead(user_id=people[5].id, thread_id=fresh.id, last_read_number=2))
    db.session.commit()
    return people


def emails() -> dict[str, tuple]:
    return {m.to_address: (m.subject, m.body_text, m.body_html, m.locale, m.unsubscribe_url)
            for m in outbox("digest")}


def test_each_members_digest_is_the_email_rendered_for_them_alone(db, crowd, monkeypatch):
    select_for = digests._sections_for

    def each_on_their_own(user, since, communities, posts, followed, read):  # nothing shared, as before
        posts.personal.add(user.id)
        return select_for(user, since, communities, posts, followed, read)

    def one_by_one(self, user, sections, dedupe_key):  # how every digest was rendered before sharing
        queue_email(to=user, template="digest", dedupe_key=dedupe_key, unsubscribe="digest", known_new=True,
                    sections=sections, frequency=self.frequency,
                    link=lambda post: absolute_url("posts.permalink", post_id=post.id))

    now = utcnow() + timedelta(minutes=1)
    with monkeypatch.context() as patch:
        patch.setattr(DigestRenderer, "queue", one_by_one)
        patch.setattr(digests, "_sections_for", each_on_their_own)
        digests.send_digests("weekly", now=now)
    alone = emails()
    db.session.execute(db.delete(OutboxMessage))
    db.session.execute(db.update(User).values(last_digest_at=None))
    db.session.commit()
    counts = digests.send_digests("weekly", now=now, batch_size=3)
    shared = emails()
    assert counts["queued"] == len(alone) >= 7
    assert shared == alone
    html = shared[crowd[0].email][2]
    assert "O'Brien &amp; \"Co\" &lt;b&gt;" in html and "<b>" not in html  # the name, escaped as before
    assert "Quiet one" in shared[crowd[7].email][1]
    assert crowd[5].email not in shared  # the reader read all of it on the site: nothing new


def test_a_run_that_crashes_midway_keeps_the_batches_done_and_a_rerun_sends_the_rest_once(db, crowd, monkeypatch):
    members = db.session.execute(db.select(User.id).where(User.digest_frequency == "weekly")).scalars().all()
    real = DigestRenderer.queue
    queued = []

    def crash_on_the_fifth(self, user, sections, dedupe_key):
        if len(queued) == 4:
            raise RuntimeError("the process died")
        queued.append(user.id)
        return real(self, user, sections, dedupe_key)

    now = utcnow() + timedelta(minutes=1)
    with monkeypatch.context() as patch:
        patch.setattr(DigestRenderer, "queue", crash_on_the_fifth)
        with pytest.raises(RuntimeError):
            digests.send_digests("weekly", now=now, batch_size=3)
    db.session.rollback()
    assert len(outbox("digest")) == 3  # the first batch was committed, the second rolled back
    counts = digests.send_digests("weekly", now=now + timedelta(minutes=5), batch_size=3)
    assert counts["already"] == 3
    again = digests.send_digests("weekly", now=now + timedelta(minutes=10), batch_size=3)
    assert again["queued"] == 0 and again["already"] == counts["queued"] + 3
    keys = [m.dedupe_key for m in outbox("digest")]
    assert len(keys) == len(set(keys)) == counts["queued"] + 3 <= len(members)
    assert all(db.session.get(User, int(k.split(":")[1])).last_digest_at is not None for k in keys)


@pytest.fixture
def tick(app, monkeypatch):
    """The scheduler's digest check at a given moment, as a fresh process (nothing run yet);
    digests at 07:00, Santiago time, weekly on Mondays."""
    from apscheduler.triggers.cron import CronTrigger

    from forum import jobs

    monkeypatch.setitem(app.config, "DIGEST_GRACE_SECONDS", 3600)
    monkeypatch.setattr(jobs, "_digests_done", {})
    zone = ZoneInfo("America/Santiago")
    triggers = {"daily": CronTrigger(hour=7, minute=0, timezone=zone),
                "weekly": CronTrigger(day_of_week="mon", hour=7, minute=0, timezone=zone)}

    def at(frequency: str, moment: datetime):
        return jobs.send_digests(app, frequency, triggers[frequency], now=moment.astimezone(UTC))
    at.monday = datetime(2026, 3, 2, 7, 0, tzinfo=zone)
    at.restart = lambda: monkeypatch.setattr(jobs, "_digests_done", {})
    return at


def test_a_scheduler_started_within_the_grace_period_sends_the_digest_once_and_late_is_never(db, crowd, tick):
    monday = tick.monday
    assert tick("weekly", monday - timedelta(minutes=1)) is None  # not yet
    first = tick("weekly", monday + timedelta(seconds=40))  # restarted at the digest minute
    assert first["queued"] >= 7 and len(outbox("digest")) == first["queued"]
    assert tick("weekly", monday + timedelta(minutes=1, seconds=40)) is None  # done: not every minute
    tick.restart()
    again = tick("weekly", monday + timedelta(minutes=30))  # restarted again: runs, sends nothing twice
    assert again["queued"] == 0 and again["already"] == first["queued"]
    tick.restart()
    assert tick("weekly", monday + timedelta(hours=1, minutes=1)) is None  # beyond the grace period
    assert tick("weekly", monday + timedelta(days=1, seconds=40)) is None  # not the weekly digest's day
    assert tick("daily", monday + timedelta(days=1, seconds=40)) is not None  # the daily one runs


def test_a_standby_scheduler_that_takes_the_lease_over_after_the_digest_minute_sends_it(db, crowd, tick,
                                                                                          monkeypatch):
    from forum.services import leases

    with monkeypatch.context() as patch:
        patch.setattr(leases, "acquire", lambda *a, **k: False)  # the scheduler that died still holds it
        assert tick("weekly", tick.monday + timedelta(seconds=30)) is None
    assert outbox("digest") == []
    taken_over = tick("weekly", tick.monday + timedelta(minutes=2, seconds=30))  # its lease lapsed
    assert taken_over["queued"] >= 7 and len(outbox("digest")) == taken_over["queued"]

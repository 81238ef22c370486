"""Watching, mentions and notifications, in the site and by email."""
import pytest

from forum.mail import deliver_due
from forum.models import Notification, Post, Thread, Watch
from tests.conftest import forum_of, link_in, outbox, text_part, thread_url


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    ana = make_user("Ana Morales", handle="ana", email="ana@example.org", locale="es")
    ben = make_user("Ben Joseph", handle="ben", email="ben@example.org", locale="en")
    community = make_community(members={ana: "member", ben: "member"})
    pair = make_pair(community)
    forum = forum_of(pair, "es")
    q1 = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=1)).scalar_one()
    return {"ana": ana, "ben": ben, "community": community, "forum": forum, "q1": q1}


def notifications_of(db, user):
    return list(db.session.execute(db.select(Notification).filter_by(user_id=user.id)).scalars())


def reply_as(client, login, user, thread, body, **extra):
    login(user)
    response = client.post(thread_url(thread), data={"body": body, **extra})
    client.post("/auth/logout")
    assert response.status_code == 302, response.data[:300]


def test_replying_watches_the_thread_and_watchers_are_notified(client, db, login, world):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ana, q1, "Primero")
    assert db.session.execute(db.select(Watch).filter_by(user_id=ana.id, thread_id=q1.id)).scalar_one().level == "watching"
    reply_as(client, login, ben, q1, "Second")
    [n] = notifications_of(db, ana)
    assert n.kind == "watched_post"
    db.session.refresh(ana)
    assert ana.unread_notification_count == 1
    assert notifications_of(db, ben) == []  # nobody is notified of their own post


def test_reply_to_a_post_notifies_its_author_once_even_if_watching(client, db, login, world):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ana, q1, "Mi idea")
    mine = db.session.execute(db.select(Post).filter_by(author_id=ana.id)).scalar_one()
    reply_as(client, login, ben, q1, "I agree, @ana", reply_to=str(mine.id))
    [n] = notifications_of(db, ana)
    assert n.kind == "reply"


def test_mentions_link_to_the_profile_and_notify(client, db, login, world, make_user):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ben, q1, "What do you think, @ana? And @nobody_here?")
    post = db.session.execute(db.select(Post).filter_by(author_id=ben.id)).scalar_one()
    assert '<a href="/u/ana" class="mention"' in post.body_html
    assert "@nobody_here" in post.body_html and "/u/nobody_here" not in post.body_html
    [n] = notifications_of(db, ana)
    assert n.kind == "mention"


def test_mentioning_someone_who_cannot_read_the_forum_does_not_notify_them(
        client, db, login, make_user, make_community, make_pair):
    member, outsider = make_user(handle="insider"), make_user(handle="outsider")
    community = make_community(visibility="private", members={member: "member"})
    forum = forum_of(make_pair(community), "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalars().first()
    login(member)
    client.post(thread_url(thread), data={"body": "Secreto para @outsider"})
    assert notifications_of(db, outsider) == []
    assert [m for m in outbox("notification") if m.to_address == outsider.email] == []


def test_bell_shows_unread_count_and_the_list_marks_read(client, db, login, world):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ana, q1, "Hola")
    reply_as(client, login, ben, q1, "Hi @ana")
    login(ana)
    page = client.get("/").get_data(as_text=True)
    assert '<span class="count">1<span class="visually-hidden"> sin leer</span>' in page
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "Ben Joseph te mencionó en «" in listing
    client.post("/notifications/read")
    db.session.refresh(ana)
    assert ana.unread_notification_count == 0
    assert 'class="count"' not in client.get("/").get_data(as_text=True)


def test_reading_the_post_reads_its_notification(client, db, login, world):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ana, q1, "Hola")
    reply_as(client, login, ben, q1, "Hi")
    login(ana)
    client.get(thread_url(q1))
    db.session.refresh(ana)
    assert ana.unread_notification_count == 0
    assert notifications_of(db, ana)[0].read_at is not None


def test_notification_email_goes_out_in_the_recipients_language_with_an_unwatch_link(
        client, db, login, world, smtp):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ben, q1, "Opening remark")  # ben (English) now watches
    reply_as(client, login, ana, q1, "Respuesta de **Ana** para @ben")
    deliver_due()
    [message] = smtp.to("ben@example.org")
    assert message["Subject"] == f"Ana Morales mentioned you in “{q1.title}”"
    body = text_part(message)
    assert "Respuesta de Ana para @ben" in body
    assert "/posts/" in body
    unwatch = link_in(body, "/notifications/unwatch/").replace("http://localhost", "")
    # The link works without signing in: a page with one button, in the recipient's language.
    page = client.get(unwatch).get_data(as_text=True)
    assert "Stop notifications for this thread" in page
    client.post(unwatch)
    assert db.session.execute(db.select(Watch).filter_by(user_id=ben.id, thread_id=q1.id)).scalar_one().level == "off"
    # Replying again does not re-watch a thread the member chose to leave.
    reply_as(client, login, ben, q1, "One more")
    assert db.session.execute(db.select(Watch).filter_by(user_id=ben.id, thread_id=q1.id)).scalar_one().level == "off"


def test_members_who_turn_email_off_only_get_site_notifications(client, db, login, world, smtp):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    ana.email_notifications = "off"
    db.session.commit()
    reply_as(client, login, ana, q1, "Hola")
    reply_as(client, login, ben, q1, "Hi @ana")
    assert len(notifications_of(db, ana)) == 1
    assert outbox("notification") == []


def test_tampered_unwatch_link_is_refused(client):
    response = client.get("/notifications/unwatch/forged", follow_redirects=True)
    assert "Este enlace no es válido." in response.get_data(as_text=True)


def test_watching_a_forum_notifies_of_new_threads_and_posts(client, db, login, world):
    ana, ben, forum, q1 = world["ana"], world["ben"], world["forum"], world["q1"]
    login(ana)
    client.post(f"/c/{forum.community.slug}/f/{forum.slug}/watch", data={"watch": "1"})
    assert "Siguiendo · dejar de seguir" in client.get(f"/c/{forum.community.slug}/f/{forum.slug}").get_data(as_text=True)
    client.post("/auth/logout")
    reply_as(client, login, ben, q1, "Any news?")
    assert [n.kind for n in notifications_of(db, ana)] == ["watched_post"]
    login(ana)
    client.post(f"/c/{forum.community.slug}/f/{forum.slug}/watch", data={"watch": "0"})
    client.post("/auth/logout")
    reply_as(client, login, ben, q1, "Anyone?")
    assert len(notifications_of(db, ana)) == 1


def test_watch_and_unwatch_a_thread_from_its_page(client, db, login, world):
    ana, q1 = world["ana"], world["q1"]
    login(ana)
    url = thread_url(q1)
    client.post(url + "/watch", data={"watch": "1"})
    assert "Siguiendo · dejar de seguir" in client.get(url).get_data(as_text=True)
    client.post(url + "/watch", data={"watch": "0"})
    assert ">Seguir<" in client.get(url).get_data(as_text=True)


def test_outsiders_cannot_watch_private_threads(client, db, login, make_user, make_community, make_pair):
    outsider = make_user()
    community = make_community(visibility="private")
    forum = forum_of(make_pair(community), "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalars().first()
    login(outsider)
    assert client.post(thread_url(thread) + "/watch", data={"watch": "1"}).status_code == 404
    assert db.session.execute(db.select(Watch)).first() is None


def test_only_real_mentions_notify(client, db, login, world, make_user):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    body = ("`@ana` in code, [@ana](https://evil.example) in a link, https://mastodon.social/@ana in a URL,\n\n"
            "> quoting @ana\n\nand nothing else")
    reply_as(client, login, ben, q1, body)
    assert notifications_of(db, ana) == []
    reply_as(client, login, ben, q1, "Now really: @ANA")
    [n] = notifications_of(db, ana)
    assert n.kind == "mention"
    post = db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()
    assert '<a href="/u/ana" class="mention"' in post.body_html


def test_editing_a_post_to_add_a_mention_notifies_the_new_one(client, db, login, world):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    login(ben)
    client.post(thread_url(q1), data={"body": "Before"})
    post = db.session.execute(db.select(Post).filter_by(author_id=ben.id)).scalar_one()
    client.post(f"/posts/{post.id}/edit", data={"body": "Before, and @ana"})
    [n] = notifications_of(db, ana)
    assert n.kind == "mention" and n.post_id == post.id
    client.post(f"/posts/{post.id}/edit", data={"body": "Before, and @ana!"})
    assert len(notifications_of(db, ana)) == 1


def test_deleting_a_post_withdraws_its_notifications_and_unsent_emails(client, db, login, world):
    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    login(ben)
    client.post(thread_url(q1), data={"body": "Hola @ana"})
    post = db.session.execute(db.select(Post).filter_by(author_id=ben.id)).scalar_one()
    db.session.refresh(ana)
    assert ana.unread_notification_count == 1 and len(outbox("notification")) == 1
    client.post(f"/posts/{post.id}/delete")
    db.session.refresh(ana)
    assert ana.unread_notification_count == 0
    assert notifications_of(db, ana) == [] and outbox("notification") == []


def test_notification_email_says_its_language(client, db, login, world, smtp):
    ana, q1 = world["ana"], world["q1"]
    reply_as(client, login, ana, q1, "Hola @ben")
    deliver_due()
    [message] = smtp.to("ben@example.org")
    assert message["Content-Language"] == "en"


def test_the_preferences_link_of_notification_emails_opens_without_signing_in(client, db, login, world, make_pair):
    """Like digests and newsletters: a signed link to the person's own email preferences."""
    from forum.models import Watch as WatchRow
    from forum.services import notifications

    ana, ben, q1 = world["ana"], world["ben"], world["q1"]
    reply_as(client, login, ben, q1, "Hola @ana")
    db.session.add(WatchRow(user_id=ana.id, community_id=world["community"].id, level="watching"))
    db.session.commit()
    notifications.notify_forum_opened(make_pair(world["community"]))
    db.session.commit()
    messages = [m for m in outbox() if m.to_address == "ana@example.org"]
    assert {m.kind for m in messages} == {"notification", "forum_opened"}
    for message in messages:
        for body in (message.body_text, message.body_html):
            link = link_in(body, "/email/preferences/").replace("http://localhost", "")
            page = client.get(link)  # signed out
            assert page.status_code == 200 and "ana@example.org" in page.get_data(as_text=True)
    client.post(link, data={"digest_frequency": "off", "email_notifications": "off"})
    db.session.refresh(ana)
    assert ana.email_notifications == "off"

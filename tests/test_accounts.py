"""A member's own data: download it, delete the account; admins suspend site-wide."""
import json
from datetime import timedelta

from forum.models import Membership, Post, utcnow
from forum.services import posting
from tests.conftest import PASSWORD, forum_of, thread_url


def test_member_downloads_all_their_data_as_json(client, db, login, make_user, make_community, make_pair):
    user = make_user("Ana Morales", handle="ana", country="CL")
    community = make_community(members={user: "member"})
    thread = forum_of(make_pair(community), "es")
    from forum.models import Thread

    q = db.session.execute(db.select(Thread).filter_by(forum_id=thread.id)).scalars().first()
    login(user)
    client.post(thread_url(q), data={"body": "Mi aporte"})
    response = client.get("/auth/account/data")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.data)
    assert data["profile"]["email"] == user.email and data["profile"]["country"] == "CL"
    assert [p["body_markdown"] for p in data["posts"]] == ["Mi aporte"]
    assert data["memberships"][0]["community"] == community.slug


def test_deleting_the_account_keeps_posts_as_former_member_and_erases_the_person(client, db, login, make_user, make_community, make_pair):
    user = make_user("Ana Morales", handle="ana", email="ana@example.org", country="CL", institution="Muni")
    other = make_user("Ben")
    community = make_community(members={user: "member", other: "member"})
    forum = forum_of(make_pair(community), "es")
    from forum.models import Thread

    q = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalars().first()
    ben_post = posting.add_post(q, other, "de Ben")
    db.session.commit()
    login(user)
    client.post(thread_url(q), data={"body": "Lo que dije"})
    client.post(f"/posts/{ben_post.id}/useful")
    response = client.post("/auth/account/delete", data={"password": "wrong"})
    assert response.status_code == 400 and "La contraseña no es correcta." in response.get_data(as_text=True)
    client.post("/auth/account/delete", data={"password": PASSWORD})
    db.session.refresh(user)
    assert user.email is None and user.display_name == "" and user.country is None and user.deleted_at
    assert db.session.execute(db.select(Membership).filter_by(user_id=user.id)).first() is None
    db.session.refresh(ben_post)
    assert ben_post.useful_count == 0
    page = client.get(thread_url(q)).get_data(as_text=True)
    assert "Lo que dije" in page and "Exmiembro" in page and "Ana Morales" not in page
    assert client.post("/auth/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 400
    db.session.refresh(community)
    assert community.member_count == 2  # the organizer of the pair and Ben


def test_admin_suspends_until_a_date_with_a_reason_and_lifts_it(client, db, login, make_user):
    admin = make_user("Admin", is_admin=True)
    person = make_user("Persona", email="persona@example.org")
    login(admin)
    response = client.post(f"/admin/users/{person.id}/suspend", data={"until": "", "reason": "spam"})
    assert response.status_code == 400
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    response = client.post(f"/admin/users/{person.id}/suspend", data={"until": until, "reason": "Mensajes ofensivos"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.is_suspended
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"email": "persona@example.org", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Tu cuenta está suspendida hasta el" in page and "Mensajes ofensivos" in page
    login(admin)
    client.post(f"/admin/users/{person.id}/lift")
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": "persona@example.org", "password": PASSWORD}).status_code == 302


def test_a_suspended_member_is_signed_out_and_cannot_post(client, db, login, make_user, make_community, make_pair):
    person = make_user()
    community = make_community(members={person: "member"})
    forum = forum_of(make_pair(community), "es")
    from forum.models import Thread

    q = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalars().first()
    login(person)
    person.suspended_until, person.suspension_reason = utcnow() + timedelta(days=1), "x"
    db.session.commit()
    client.post(thread_url(q), data={"body": "no debería"})
    assert db.session.execute(db.select(Post).filter_by(author_id=person.id)).first() is None


def test_only_admins_reach_administration(client, login, make_user):
    assert client.get("/admin/users").status_code == 302
    login(make_user())
    assert client.get("/admin/users").status_code == 403

"""Sign-ins end on the server: a copied session or "keep me signed in" cookie stops working
after signing out, a password reset, a suspension, a deletion or "sign out everywhere"."""
from datetime import timedelta

import pytest

from forum.mail import deliver_due
from forum.models import LoginSession, utcnow
from tests.conftest import PASSWORD, link_in, text_part

COOKIES = ("session", "remember_token")


def sign_in(client, user, remember=False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.data[:300]


def copy_of(app, client, names=COOKIES):
    """Another browser holding a copy of `client`'s cookies (as a thief would)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def signed_in(client) -> bool:
    return client.get("/auth/profile").status_code == 200


@pytest.mark.parametrize("names", [COOKIES, ("session",), ("remember_token",)])
def test_signing_out_ends_the_sign_in_for_every_copy_of_its_cookies(app, client, make_user, names):
    user = make_user()
    sign_in(client, user, remember=True)
    thief = copy_of(app, client, names)
    assert signed_in(thief)
    client.post("/auth/logout")
    assert not signed_in(client)
    assert not signed_in(thief)
    assert not signed_in(copy_of(app, client))  # nor what the browser still holds


def test_signing_out_here_leaves_other_sign_ins_alone(app, client, make_user):
    user = make_user()
    sign_in(client, user)
    laptop = app.test_client()
    sign_in(laptop, user, remember=True)
    client.post("/auth/logout")
    assert signed_in(laptop)


def test_a_password_reset_signs_the_person_out_everywhere_else(app, client, smtp, make_user):
    user = make_user(email="olvido@example.org")
    old_browser = app.test_client()
    sign_in(old_browser, user, remember=True)
    thief = copy_of(app, old_browser, ("remember_token",))
    assert signed_in(thief)
    client.post("/auth/reset", data={"email": "olvido@example.org"})
    deliver_due()
    path = link_in(text_part(smtp.to("olvido@example.org")[-1]), "/auth/reset/").replace("http://localhost", "")
    response = client.post(path, data={"password": "otra clave segura", "confirm": "otra clave segura"})
    assert response.status_code == 302
    assert signed_in(client)  # the person who chose the new password is in
    assert not signed_in(thief)
    assert not signed_in(old_browser)


def test_a_suspension_ends_every_sign_in_even_after_it_is_lifted(app, client, login, make_user):
    admin = make_user("Admin", is_admin=True)
    person = make_user("Persona")
    browser = app.test_client()
    sign_in(browser, person, remember=True)
    thief = copy_of(app, browser)
    login(admin)
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    assert client.post(f"/admin/users/{person.id}/suspend", data={"until": until, "reason": "spam"}).status_code == 302
    client.post(f"/admin/users/{person.id}/lift")
    assert not signed_in(browser)
    assert not signed_in(thief)
    sign_in(browser, person)  # once lifted, signing in again works
    assert signed_in(browser)


def test_deleting_the_account_ends_every_sign_in(app, client, db, make_user):
    person = make_user()
    sign_in(client, person, remember=True)
    other_device = app.test_client()
    sign_in(other_device, person, remember=True)
    thief = copy_of(app, client)
    assert client.post("/auth/account/delete", data={"password": PASSWORD}).status_code == 302
    assert not signed_in(thief) and not signed_in(other_device)
    assert db.session.execute(db.select(LoginSession).filter_by(user_id=person.id)).first() is None


def test_profile_lists_sign_ins_and_signs_out_everywhere(app, client, make_user):
    user = make_user(locale="en")
    phone = app.test_client()
    sign_in(phone, user, remember=True)
    sign_in(client, user)
    thief = copy_of(app, phone)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "Where you are signed in" in page and "this browser" in page
    assert page.count("last seen") == 2
    response = client.post("/auth/sessions/end-all", follow_redirects=True)
    assert "Cerraste sesión en todas partes" in response.get_data(as_text=True)
    assert not signed_in(client) and not signed_in(phone) and not signed_in(thief)


def test_a_sign_in_shows_which_browser_it_was(client, make_user):
    user = make_user()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD}, headers={
        "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"})
    assert "Firefox · Windows" in client.get("/auth/profile").get_data(as_text=True)


def test_a_cookie_from_before_sign_ins_were_recorded_is_refused(app, client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not signed_in(client)


def test_last_seen_is_kept_up_to_date_without_a_write_per_request(client, db, make_user):
    user = make_user()
    sign_in(client, user)
    [record] = db.session.execute(db.select(LoginSession).filter_by(user_id=user.id)).scalars()
    long_ago = utcnow() - timedelta(hours=3)
    record.last_seen_at = long_ago
    db.session.commit()
    assert signed_in(client)
    db.session.refresh(record)
    assert record.last_seen_at > long_ago + timedelta(hours=2)


def test_a_sign_in_ends_when_its_remember_cookie_would_have_expired(app, client, db, make_user):
    user = make_user()
    sign_in(client, user, remember=True)
    thief = copy_of(app, client, ("session",))  # a session cookie never expires by itself once copied
    [record] = db.session.execute(db.select(LoginSession).filter_by(user_id=user.id)).scalars()
    record.created_at, stale = utcnow() - timedelta(days=366), record.id
    db.session.commit()
    assert not signed_in(thief) and not signed_in(client)
    sign_in(client, user)  # the next sign-in also clears the stale record away
    db.session.expire_all()
    assert stale not in db.session.execute(db.select(LoginSession.id).filter_by(user_id=user.id)).scalars().all()

"""A NUL byte (or another control character) anywhere a request carries text is refused with a
translated 400 or a field error, never a 500 from PostgreSQL, and submitted text is never logged."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy.exc import IntegrityError

from forum.models import Post
from tests.conftest import forum_of, thread_url

REFUSED = "contiene un carácter de control"


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    from forum.models import Thread

    ana = make_user("Ana Morales", handle="ana")
    ben = make_user("Ben Joseph", handle="ben")
    community = make_community(slug="agua", members={ana: "member", ben: "member"})
    pair = make_pair(community, questions=1, slug="cuencas")
    forum = forum_of(pair, "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    return {"ana": ana, "ben": ben, "community": community, "forum": forum, "thread": thread}


@pytest.mark.parametrize("url", [
    "/search/?q=agua&author=%00", "/search/?q=%00", "/search/?q=agua%01", "/?page=%00",
    "/c/agua%00/", "/u/ana%00", "/c/agua/f/cuencas-es%00", "/webinars/?page=1%00",
])
def test_a_control_character_in_the_url_is_a_translated_400(client, world, url):
    response = client.get(url)
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_every_page_refuses_a_nul_in_its_address_or_query_string(app, client, login, world):
    """Each GET route, signed in, with a NUL in each of its text parts and in its query string."""
    login(world["ana"])
    values = {"community_slug": "agua", "forum_slug": "cuencas-es", "slug": "agua", "handle": "ana"}
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for name in rule.arguments:
            converter = rule._converters.get(name)
            value = values.get(name, "x") if type(converter).__name__ in ("UnicodeConverter", "PathConverter") else "1"
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
        for url in (f"{path}?q=%00&page=%00", path.rstrip("/") + "%00"):
            response = client.get(url)
            assert response.status_code == 400, (url, response.status_code)
            seen += 1
    assert seen > 100


def test_a_reply_with_a_nul_comes_back_with_its_text_and_a_field_error(client, db, login, world):
    login(world["ana"])
    response = client.post(thread_url(world["thread"]), data={"body": "Mi respuesta\x00 larga y pensada"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert REFUSED in page
    assert "larga y pensada" in page  # the text is still in the form
    assert db.session.execute(db.select(Post).filter(Post.body_md.contains("pensada"))).first() is None


def test_a_reply_with_a_tab_and_line_breaks_is_saved(client, db, login, world):
    login(world["ana"])
    response = client.post(thread_url(world["thread"]), data={"body": "Uno\tdos\r\ntres"})
    assert response.status_code == 302


def test_a_raw_form_field_with_a_nul_is_a_translated_400(client, db, login, world):
    from forum.services import posting

    post = posting.add_post(world["thread"], world["ben"], "Un texto")
    db.session.commit()
    login(world["ana"])
    response = client.post(f"/posts/{post.id}/flag", data={"reason": "other", "text": "mira\x00esto"})
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_a_json_body_with_a_nul_is_a_translated_400(client, login, world):
    login(world["ana"])
    response = client.post(thread_url(world["thread"]), json={"body": "hola\u0000"})
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_a_database_error_never_carries_the_values_into_the_log(app, db, world, caplog):
    """hide_parameters: the SQL is logged, the members' text is not."""
    from forum.models import User

    db.session.add(User(email="secreto@example.org", display_name="Nombre secreto", handle="ana"))
    with pytest.raises(IntegrityError) as raised:
        db.session.flush()
    db.session.rollback()
    with caplog.at_level(logging.ERROR):
        app.logger.error("boom", exc_info=raised.value)
    assert "INSERT INTO users" in caplog.text
    assert "secreto" not in caplog.text

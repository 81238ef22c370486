"""The organizer's loose ends on pages: unwatch language, round counts, shares, useful marks,
cancelling a place, member import rows, pasted Word notes, the pair form."""
import pytest

from forum.models import Watch
from forum.services import posting, tokens, watching
from tests.conftest import forum_of


@pytest.mark.parametrize("locale,browser,expected", [
    ("en", "es", "Stop notifications for this thread"),
    ("es", "en", "Dejar de recibir notificaciones de este hilo"),
])
def test_the_unwatch_page_speaks_the_recipients_language_not_the_browsers(
        client, db, make_user, make_community, make_pair, locale, browser, expected):
    reader = make_user("Lectora", locale=locale)
    community = make_community("red", members={reader: "member"})
    pair = make_pair(community)
    pair.allow_member_threads = True
    thread = posting.create_thread(forum_of(pair, "es"), reader, title="Cuencas", body="cuerpo")
    db.session.commit()
    watching.set_watch(reader, thread, True)
    url = f"/notifications/unwatch/{tokens.make('unwatch', {'u': reader.id, 't': thread.id})}"
    page = client.get(url, headers={"Accept-Language": browser}).get_data(as_text=True)
    assert expected in page
    done = client.post(url, headers={"Accept-Language": browser}, follow_redirects=True).get_data(as_text=True)
    assert ("You will no longer be notified" if locale == "en" else "Ya no te avisaremos de nuevas publicaciones") in done
    assert db.session.execute(db.select(Watch.level).filter_by(user_id=reader.id, thread_id=thread.id)).scalar() == "off"

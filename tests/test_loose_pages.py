"""The organizer's loose ends on pages: unwatch language, round counts, shares, useful marks,
cancelling a place, member import rows, pasted Word notes, the pair form."""
import pytest

from forum import tokens
from forum.models import Watch
from forum.services import posting, watching, webinar_messages
from forum.services.sealing import seal
from tests import test_committees, test_webinars
from tests.conftest import forum_of

committee = test_committees.committee  # the fixtures, shared
make_webinar = test_webinars.make_webinar


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


@pytest.mark.parametrize("language,counts,note", [
    ("es", "2 respondieron · 4 miembros no", "Sus nombres no se conocen"),
    ("en", "2 have answered · 4 members have not", "Their names are not known"),
])
def test_a_closed_anonymous_round_still_counts_those_who_did_not_answer(client, login, db, committee,
                                                                        language, counts, note):
    from tests.test_committees import _close, _form, _questionnaire

    round_ = _questionnaire(committee, anonymous=True)
    for member in committee["members"][:2]:
        login(member)
        client.post(f"/c/comite/rounds/{round_.id}/answer", data=_form(round_, {1: 1, 2: [1], 3: 3, 4: [1, 2, 3]}))
    _close(db, round_)
    seal(round_)  # what the scheduler does within a minute of the close
    committee["organizer"].locale = language
    db.session.commit()
    login(committee["organizer"])
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    assert counts in page and note in page


@pytest.mark.parametrize("locale", ["es", "en"])
def test_women_among_attendees_is_rounded_not_truncated(client, login, db, make_user, make_community, make_webinar,
                                                       locale):
    from datetime import timedelta

    from tests.test_webinars import _register_people

    organizer = make_user("Org", locale=locale)
    community = make_community("red", members={organizer: "organizer"})
    webinar = make_webinar(community, organizer=organizer, starts_in=timedelta(days=-2))
    rows = _register_people(db, webinar, [("a@x.org", "MX", "academia", "woman", "registered"),
                                          ("b@x.org", "MX", "academia", "man", "registered"),
                                          ("c@x.org", "MX", "academia", "woman", "registered")])
    for registration in rows:
        registration.attended = True
    db.session.commit()
    login(organizer)
    page = client.get(f"/c/red/webinars/{webinar.id}/participation").get_data(as_text=True)
    assert ("Mujeres entre asistentes" if locale == "es" else "Women among attendees") in page
    assert "<td>67%</td>" in page and "66%" not in page


@pytest.mark.parametrize("locale,label", [("es", "Útil"), ("en", "Useful")])
def test_a_double_click_on_useful_leaves_the_post_marked_and_unmarking_is_its_own_action(
        client, db, login, make_user, make_community, make_pair, locale, label):
    import re

    from tests.conftest import thread_url

    reader, writer = make_user("Lectora", locale=locale), make_user("Autora")
    community = make_community("red", members={reader: "member", writer: "member"})
    pair = make_pair(community)
    pair.allow_member_threads = True
    thread = posting.create_thread(forum_of(pair, "es"), writer, title="Cuencas", body="cuerpo")
    post = posting.add_post(thread, writer, "Una idea útil")
    db.session.commit()
    login(reader)

    def form_value():
        page = client.get(thread_url(thread)).get_data(as_text=True)
        form = page[page.index(f'action="/posts/{post.id}/useful"'):]
        return re.search(r'name="mark" value="(\d)"', form).group(1), page

    mark, _page = form_value()
    for _click in range(2):  # a double click sends the same form twice
        client.post(f"/posts/{post.id}/useful", data={"mark": mark})
    db.session.refresh(post)
    mark, page = form_value()
    assert post.useful_count == 1 and mark == "0" and f'aria-pressed="true">{label} · 1' in page
    for _click in range(2):
        client.post(f"/posts/{post.id}/useful", data={"mark": mark})
    db.session.refresh(post)
    mark, page = form_value()
    assert post.useful_count == 0 and mark == "1" and f'aria-pressed="false">{label} · 0' in page


@pytest.mark.parametrize("locale,ask,unchanged", [
    ("es", "Sí, cancelar mi inscripción", "Tu inscripción no cambió: confirma para cancelarla."),
    ("en", "Yes, cancel my registration", "Your registration is unchanged: confirm to cancel it."),
])
def test_cancelling_a_webinar_place_asks_first_without_javascript(client, db, login, make_user, make_community,
                                                                  make_webinar, locale, ask, unchanged):
    from forum.models import Registration

    member = make_user("Ana", locale=locale)
    community = make_community("red", members={member: "member"})
    webinar = make_webinar(community)
    login(member)
    client.post(f"/c/red/webinars/{webinar.id}/register")
    page = client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    assert '<details class="confirm">' in page and ask in page and 'name="confirm" value="yes"' in page
    page = client.post(f"/c/red/webinars/{webinar.id}/unregister", follow_redirects=True).get_data(as_text=True)
    place = db.session.execute(db.select(Registration)).scalar_one()
    assert unchanged in page and place.status == "registered"
    # The guest's page (the link in their emails) asks the same way.
    guest_page = client.get(f"/webinars/registration/{webinar_messages.registration_token(place)}").get_data(as_text=True)
    assert ask in guest_page
    client.post(f"/webinars/registration/{webinar_messages.registration_token(place)}")
    db.session.refresh(place)
    assert place.status == "registered"
    client.post(f"/c/red/webinars/{webinar.id}/unregister", data={"confirm": "yes"})
    db.session.refresh(place)
    assert place.status == "cancelled"


@pytest.mark.parametrize("locale,refused", [
    ("es", "5 campos donde la primera línea tiene 6"),
    ("en", "5 fields where the first line has 6"),
])
def test_a_member_import_refuses_a_row_with_fewer_fields_than_the_header_with_its_line(
        client, db, login, make_user, make_community, locale, refused):
    import io

    from forum.models import User

    organizer = make_user("Oscar", locale=locale)
    make_community("red", members={organizer: "organizer"})
    login(organizer)
    data = (b"email;name;country;institution;sector;language\n"
            b"ana@example.org;Ana;Chile;Municipalidad;academia;es\n"
            b"x@example.org;Name;Argentina;academia;\n")
    page = client.post("/c/red/members/import", data={"file": (io.BytesIO(data), "miembros.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert refused in page and '<td class="num">3</td>' in page
    assert db.session.execute(db.select(User).filter_by(email="x@example.org")).first() is None
    assert db.session.execute(db.select(User).filter_by(email="ana@example.org")).first() is not None


WORD_PASTE = ("[bookmark: _GoBack]Al cabo de dos meses habrá un seminario web[footnoteRef:1]. "
              "La convocatoria está abierta. [1:  Presentará las ideas principales del foro.] ")


def _cleaned(markdown: str) -> bool:
    return "[bookmark:" not in markdown and "footnoteRef" not in markdown and "[^1]: Presentará" in markdown


def test_an_open_rounds_description_pasted_from_word_becomes_a_clean_concept_note(client, db, login, committee):
    from forum.models import Forum
    from tests.test_committees import _questionnaire

    round_ = _questionnaire(committee, kind="open", description_es=WORD_PASTE, description_en=WORD_PASTE)
    assert _cleaned(round_.description_es) and _cleaned(round_.description_en)
    forum = db.session.execute(db.select(Forum).filter_by(pair_id=round_.pair_id, language="es")).scalar_one()
    login(committee["members"][0])
    page = client.get(f"/c/comite/f/{forum.slug}").get_data(as_text=True)
    assert 'class="footnote-ref"' in page and "bookmark" not in page and "footnoteRef" not in page


def test_newsletters_and_webinar_descriptions_pasted_from_word_keep_footnotes_not_debris(
        client, db, login, make_user, make_community):
    from forum.models import Newsletter, Webinar
    from tests.dates import year_ahead

    organizer = make_user("Olga")
    make_community("red", members={organizer: "organizer"})
    login(organizer)
    client.post("/c/red/newsletters/new", data={"subject_es": "Boletín", "subject_en": "Newsletter",
                                                "body_es": WORD_PASTE, "body_en": WORD_PASTE})
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    assert _cleaned(edition.body_es_md) and _cleaned(edition.body_en_md)
    preview = client.get(f"/c/red/newsletters/{edition.id}/preview?lang=es").get_data(as_text=True)
    assert 'class="footnote-ref"' in preview and "bookmark" not in preview
    client.post("/c/red/webinars/new", data={
        "title_es": "Seminario", "title_en": "Webinar", "starts_at": f"{year_ahead(1, 10)}-01-10T10:00", "timezone": "America/Lima",
        "duration_minutes": "90", "languages": "es,en", "description_es": WORD_PASTE, "description_en": WORD_PASTE})
    webinar = db.session.execute(db.select(Webinar)).scalar_one()
    assert _cleaned(webinar.description_es_md) and _cleaned(webinar.description_en_md)
    page = client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    assert 'class="footnote-ref"' in page and "bookmark" not in page


@pytest.mark.parametrize("locale,warning", [
    ("es", "La fecha de apertura ya pasó"),
    ("en", "The opening date is in the past"),
])
def test_the_pair_form_starts_with_four_questions_and_warns_of_an_opening_date_in_the_past(
        client, db, login, make_user, make_community, locale, warning):
    from forum.models import ForumPair, Thread
    from tests.test_organizing import LONG_AGO, LONG_AHEAD, pair_data

    organizer = make_user("Olga", locale=locale)
    make_community("red", members={organizer: "organizer"})
    login(organizer)
    form = client.get("/c/red/organize/pairs/new").get_data(as_text=True)
    assert 'name="questions-3-title_es"' in form and 'name="questions-4-title_es"' not in form
    blank_fourth = {"questions-3-title_es": "", "questions-3-title_en": ""}  # three filled, the fourth left blank
    page = client.post("/c/red/organize/pairs/new", data=pair_data(**blank_fourth),
                       follow_redirects=True)
    assert warning not in page.get_data(as_text=True)  # a date ahead: no warning
    saved = db.session.execute(db.select(ForumPair).filter_by(slug="agua")).scalar_one()
    questions = db.session.execute(db.select(Thread).filter_by(forum_id=saved.forums[0].id,
                                                               kind="guiding_question")).scalars().all()
    assert saved.status == "draft" and len(questions) == 3
    page = client.post("/c/red/organize/pairs/new", data=pair_data(slug="pasado", opens_at=LONG_AGO,
                                                                    closes_at=LONG_AHEAD), follow_redirects=True)
    assert warning in page.get_data(as_text=True)
    assert db.session.execute(db.select(ForumPair).filter_by(slug="pasado")).scalar_one()  # still allowed

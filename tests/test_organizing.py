"""Organizers set up communities and forum pairs: drafts, schedule, texts, settings, announcements."""
import io
from datetime import timedelta

import pytest

from forum.mail import deliver_due
from forum.models import (
    Community,
    Forum,
    ForumPair,
    Membership,
    Notification,
    Post,
    TextRevision,
    Thread,
    utcnow,
)
from forum.services import announcements, organizing, posting
from tests.dates import this_year, year_ahead

# A 1 December at least a month ahead, whenever the tests run, and a span around today.
DECEMBER = year_ahead(12, 1)
LONG_AGO, LONG_AHEAD = f"{this_year() - 1}-01-01T09:00", f"{this_year() + 1}-01-01T09:00"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40


def pair_data(**changes):
    data = {
        "slug": "agua", "languages": "es,en", "opens_at": f"{DECEMBER}-12-01T09:00",
        "closes_at": f"{DECEMBER + 1}-02-01T09:00",
        "title_es": "Agua y territorio", "title_en": "Water and territory",
        "summary_es": "Un foro sobre el agua.", "summary_en": "A forum on water.",
        "concept_note_es": "## Nota\n\nEl **agua** importa.", "concept_note_en": "## Note\n\n**Water** matters.",
        "pre_moderation": "new_members", "pre_moderation_count": "2",
        "themes": "escasez | Escasez | Scarcity\ngobernanza | Gobernanza | Governance",
        "questions-0-title_es": "¿Primera?", "questions-0-title_en": "First?",
        "questions-1-title_es": "¿Segunda?", "questions-1-title_en": "Second?",
        "questions-2-title_es": "¿Tercera?", "questions-2-title_en": "Third?",
        "action": "save",
    }
    data.update(changes)
    return data


@pytest.fixture
def org(db, make_user, make_community):
    organizer = make_user("Olga Organizadora", handle="olga")
    member = make_user("Mario Miembro", handle="mario")
    community = make_community("red", members={organizer: "organizer", member: "member"})
    return community, organizer, member


def new_pair(client, community, **changes):
    return client.post(f"/c/{community.slug}/organize/pairs/new", data=pair_data(**changes))


def test_organizer_creates_a_draft_pair_in_one_form(client, db, login, org):
    community, organizer, member = org
    login(organizer)
    response = new_pair(client, community)
    assert response.status_code == 302
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    assert pair.status == "draft" and pair.pre_moderation == "new_members" and pair.pre_moderation_count == 2
    assert [(t.code, t.label_es, t.label_en) for t in pair.themes] == [
        ("escasez", "Escasez", "Scarcity"), ("gobernanza", "Gobernanza", "Governance")]
    es = db.session.execute(db.select(Forum).filter_by(pair_id=pair.id, language="es")).scalar_one()
    assert es.slug == "agua-es" and "<strong>agua</strong>" in es.concept_note_html
    titles = db.session.execute(db.select(Thread.title).filter_by(forum_id=es.id).order_by(Thread.position)).scalars().all()
    assert titles == ["¿Primera?", "¿Segunda?", "¿Tercera?"]
    # Dates were entered in the community's zone (Santiago, UTC-3 in December).
    assert pair.opens_at.isoformat() == f"{DECEMBER}-12-01T12:00:00+00:00"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Este es un borrador" in page
    client.post("/auth/logout")
    login(member)
    assert client.get(response.headers["Location"]).status_code == 404
    assert "Agua y territorio" not in client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "0 resultados" in client.get("/search/?q=Primera").get_data(as_text=True)


def test_questions_are_added_reordered_and_removed_without_saving(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    page = new_pair(client, community, action="down-0").get_data(as_text=True)
    assert page.index("¿Segunda?") < page.index("¿Primera?") < page.index("¿Tercera?")
    page = new_pair(client, community, action="remove-1").get_data(as_text=True)
    assert "¿Segunda?" not in page and "¿Tercera?" in page
    page = new_pair(client, community, action="add").get_data(as_text=True)
    assert 'name="questions-3-title_es"' in page
    assert db.session.execute(db.select(ForumPair)).first() is None


@pytest.mark.parametrize("changes,message", [
    ({"closes_at": f"{DECEMBER}-11-01T09:00"}, "El foro debe cerrar después de abrir."),
    ({"questions-0-title_es": "", "questions-0-title_en": "", "questions-1-title_es": "", "questions-1-title_en": "",
      "questions-2-title_es": "", "questions-2-title_en": ""}, "Escribe al menos una pregunta orientadora."),
    ({"title_en": ""}, "Ponle un título al foro en este idioma."),
    ({"questions-1-title_en": ""}, "La pregunta 2 necesita su texto en cada idioma del par."),
    ({"slug": "Con Espacios"}, "Usa minúsculas, dígitos y guiones"),
    ({"themes": "solo una columna"}, "Línea 1 del libro de códigos"),
    ({"opens_at": ""}, "Indica la fecha y hora de apertura."),
])
def test_validation_explains_and_keeps_what_was_typed(client, db, login, org, changes, message):
    community, organizer, _ = org
    login(organizer)
    response = new_pair(client, community, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "El **agua** importa." in page  # the concept note is still in the form
    assert db.session.execute(db.select(ForumPair)).first() is None


def test_a_second_pair_cannot_take_the_same_address(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    new_pair(client, community)
    assert "ya tiene un foro con esta dirección" in new_pair(client, community).get_data(as_text=True)


def test_single_language_forum_then_paired_later(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    new_pair(client, community, slug="solo-es", languages="es", title_en="", **{f"questions-{i}-title_en": "" for i in range(3)})
    new_pair(client, community, slug="solo-en", languages="en", title_es="", **{f"questions-{i}-title_es": "" for i in range(3)})
    es = db.session.execute(db.select(Forum).filter_by(slug="solo-es-es")).scalar_one()
    en = db.session.execute(db.select(Forum).filter_by(slug="solo-en-en")).scalar_one()
    assert es.pair_id != en.pair_id
    response = client.post(f"/c/{community.slug}/organize/forums/{es.id}/pair", data={"other": str(en.id)})
    assert response.status_code == 302
    db.session.refresh(es)
    assert es.pair_id == en.pair_id and es.sibling.id == en.id
    assert db.session.execute(db.select(db.func.count(ForumPair.id))).scalar() == 1


def test_publish_schedules_and_the_state_follows_the_clock(client, db, login, org):
    community, organizer, member = org
    login(organizer)
    soon = (utcnow() + timedelta(days=3))
    new_pair(client, community)
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    client.post(f"/c/{community.slug}/organize/pairs/{pair.id}/publish")
    db.session.refresh(pair)
    pair.opens_at, pair.closes_at = soon, soon + timedelta(days=60)
    db.session.commit()
    client.post("/auth/logout")
    login(member)
    url = f"/c/{community.slug}/f/agua-es"
    assert "Abre el" in client.get(url).get_data(as_text=True)
    pair.opens_at = utcnow() - timedelta(seconds=1)  # the clock passes the opening time
    db.session.commit()
    assert "Abierto, cierra en" in client.get(url).get_data(as_text=True)
    pair.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "Cerrado, solo lectura" in client.get(url).get_data(as_text=True)


def test_watchers_of_the_community_are_told_once_when_it_opens(client, db, login, org, make_user, smtp):
    community, organizer, member = org
    english = make_user("Eve", email="eve@example.org", locale="en")
    db.session.add(Membership(user_id=english.id, community_id=community.id, role="member"))
    db.session.commit()
    login(english)
    client.post(f"/c/{community.slug}/watch", data={"watch": "1"})
    client.post("/auth/logout")
    login(organizer)
    new_pair(client, community, action="publish")
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    assert announcements.announce_openings(now=pair.opens_at - timedelta(minutes=1)) == 0
    assert announcements.announce_openings(now=pair.opens_at + timedelta(minutes=1)) == 1
    assert announcements.announce_openings(now=pair.opens_at + timedelta(minutes=2)) == 0
    [n] = db.session.execute(db.select(Notification).filter_by(user_id=english.id)).scalars().all()
    assert n.kind == "forum_opened" and n.forum.language == "en"
    deliver_due()
    [message] = smtp.to("eve@example.org")
    assert message["Subject"] == "The forum “Water and territory” is open"


def test_editing_published_texts_keeps_revisions_and_questions_with_replies_can_only_be_hidden(client, db, login, org):
    community, organizer, member = org
    login(organizer)
    new_pair(client, community, action="publish", opens_at=LONG_AGO, closes_at=LONG_AHEAD)
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    es = db.session.execute(db.select(Forum).filter_by(pair_id=pair.id, language="es")).scalar_one()
    first = db.session.execute(db.select(Thread).filter_by(forum_id=es.id, position=1)).scalar_one()
    posting.add_post(first, member, "Respuesta de Mario")
    db.session.commit()
    form = client.get(f"/c/{community.slug}/organize/pairs/{pair.id}/edit").get_data(as_text=True)
    assert f'value="{first.id}"' in form
    edited = pair_data(concept_note_es="Nota nueva", **{"questions-0-title_es": "¿Primera, mejor dicha?",
                                                         "questions-0-thread_es": str(first.id)})
    threads_en = db.session.execute(db.select(Thread.id).join(Forum).filter(Forum.language == "en").order_by(Thread.position)).scalars().all()
    threads_es = db.session.execute(db.select(Thread.id).filter_by(forum_id=es.id).order_by(Thread.position)).scalars().all()
    for i in range(3):
        edited[f"questions-{i}-thread_es"], edited[f"questions-{i}-thread_en"] = str(threads_es[i]), str(threads_en[i])
    response = client.post(f"/c/{community.slug}/organize/pairs/{pair.id}/edit", data=edited)
    assert response.status_code == 302
    db.session.refresh(es)
    db.session.refresh(first)
    assert es.concept_note_md == "Nota nueva" and first.title == "¿Primera, mejor dicha?"
    revisions = db.session.execute(db.select(TextRevision)).scalars().all()
    assert {(r.kind, r.title) for r in revisions} == {("forum", "Agua y territorio"), ("thread", "¿Primera?")}
    # Removing the question with a reply is refused; hiding it works.
    removal = {k: v for k, v in edited.items() if not k.startswith("questions-0-")}
    response = client.post(f"/c/{community.slug}/organize/pairs/{pair.id}/edit", data=removal)
    assert response.status_code == 400 and "ocúltala en lugar de quitarla" in response.get_data(as_text=True)
    edited["questions-0-hidden"] = "y"
    client.post(f"/c/{community.slug}/organize/pairs/{pair.id}/edit", data=edited)
    db.session.refresh(first)
    assert first.is_hidden and db.session.get(Post, db.session.execute(db.select(Post.id).filter_by(thread_id=first.id, number=2)).scalar())
    client.post("/auth/logout")
    login(member)
    assert "mejor dicha" not in client.get(f"/c/{community.slug}/f/agua-es").get_data(as_text=True)
    assert client.get(f"/c/{community.slug}/f/agua-es/threads/{first.id}").status_code == 404


def test_a_new_edition_copies_settings_codebook_and_questions_not_posts_or_dates(client, db, login, org):
    community, organizer, member = org
    login(organizer)
    new_pair(client, community, action="publish")
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    page = client.get(f"/c/{community.slug}/organize/pairs/new?copy_from={pair.id}").get_data(as_text=True)
    assert "¿Segunda?" in page and "escasez | Escasez | Scarcity" in page
    assert 'value="Agua y territorio"' not in page and 'name="slug" type="text" value=""' in page
    assert '<option selected value="new_members">' in page


def test_announcement_in_both_languages_with_local_dates_questions_and_link(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    new_pair(client, community)
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    page = client.get(f"/c/{community.slug}/organize/pairs/{pair.id}/announcement").get_data(as_text=True)
    assert f"Foro «Agua y territorio»: del 1 de diciembre de {DECEMBER} al 1 de febrero de {DECEMBER + 1}" in page
    assert f"1 de diciembre de {DECEMBER}, 9:00" in page and "America/Santiago" in page
    assert "1. ¿Primera?" in page and "3. ¿Tercera?" in page
    assert "http://localhost/c/red/f/agua-es" in page
    assert f"Forum “Water and territory”: December 1, {DECEMBER} to February 1, {DECEMBER + 1}" in page


def test_only_organizers_and_admins_organize(client, db, login, org, make_user, make_community):
    community, organizer, member = org
    other_organizer = make_user()
    make_community(members={other_organizer: "organizer"})
    moderator = make_user()
    db.session.add(Membership(user_id=moderator.id, community_id=community.id, role="moderator"))
    db.session.commit()
    for intruder in (member, moderator, other_organizer):
        login(intruder)
        for url in ("/organize/", "/organize/pairs/new", "/organize/settings"):
            assert client.get(f"/c/{community.slug}{url}").status_code == 403, (intruder, url)
        assert new_pair(client, community).status_code == 403
        client.post("/auth/logout")
    admin = make_user(is_admin=True)
    login(admin)
    assert client.get(f"/c/{community.slug}/organize/pairs/new").status_code == 200


def test_admin_creates_a_community_with_its_first_organizers(client, db, login, make_user):
    admin = make_user(is_admin=True)
    first = make_user("Primera", handle="primera")
    login(admin)
    data = {"slug": "ciudades-resilientes", "name_es": "Ciudades resilientes", "name_en": "Resilient cities",
            "description_es": "Comunidad de práctica", "description_en": "Community of practice",
            "visibility": "members", "join_policy": "approval", "timezone": "America/Bogota",
            "organizers": "@primera\nnadie@example.org"}
    response = client.post("/admin/communities/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "No registrados: nadie@example.org" in page
    assert 'value="Ciudades resilientes"' in page
    data["organizers"] = "@primera"
    data["logo"] = (io.BytesIO(PNG), "logo.png")
    response = client.post("/admin/communities/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    community = db.session.execute(db.select(Community).filter_by(slug="ciudades-resilientes")).scalar_one()
    assert (community.visibility, community.join_policy, community.timezone) == ("members", "approval", "America/Bogota")
    role = db.session.execute(db.select(Membership.role).filter_by(user_id=first.id, community_id=community.id)).scalar()
    assert role == "organizer" and community.member_count == 1
    logo = client.get("/c/ciudades-resilientes/logo")
    assert logo.data == PNG and logo.headers["Content-Type"] == "image/png"


def test_non_admins_cannot_create_communities_and_bad_logos_are_refused(client, db, login, org, make_user):
    community, organizer, _ = org
    login(organizer)
    assert client.get("/admin/communities/new").status_code == 403
    response = client.post(f"/c/{community.slug}/organize/settings", content_type="multipart/form-data", data={
        "name_es": "Red renombrada", "name_en": "Renamed network", "description_es": "", "description_en": "",
        "visibility": "public", "join_policy": "open", "timezone": "",
        "logo": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.svg")})
    assert response.status_code == 400 and "Usa una imagen PNG, JPEG, GIF o WebP." in response.get_data(as_text=True)
    response = client.post(f"/c/{community.slug}/organize/settings", data={
        "name_es": "Red renombrada", "name_en": "Renamed network", "description_es": "", "description_en": "",
        "visibility": "public", "join_policy": "open", "timezone": ""})
    assert response.status_code == 302
    db.session.refresh(community)
    assert community.name_es == "Red renombrada"


def test_an_open_pair_keeps_its_question_numbers_and_new_ones_go_last(client, db, login, org):
    community, organizer, member = org
    login(organizer)
    new_pair(client, community, action="publish", opens_at=LONG_AGO, closes_at=LONG_AHEAD)
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    ids = {lang: db.session.execute(db.select(Thread.id).join(Forum).filter(Forum.language == lang)
                                    .order_by(Thread.position)).scalars().all() for lang in ("es", "en")}
    data = pair_data(opens_at=LONG_AGO, closes_at=LONG_AHEAD,
                     **{f"questions-{i}-thread_{lang}": str(ids[lang][i]) for i in range(3) for lang in ("es", "en")})
    data.update({"questions-3-title_es": "¿Cuarta?", "questions-3-title_en": "Fourth?"})
    assert client.post(f"/c/{community.slug}/organize/pairs/{pair.id}/edit", data=data).status_code == 302
    positions = db.session.execute(db.select(Thread.title, Thread.position).join(Forum).filter(Forum.language == "es")
                                   .order_by(Thread.position)).all()
    assert [p for _, p in positions] == [1, 2, 3, 4] and positions[-1][0] == "¿Cuarta?"
    swapped = dict(data)
    for lang in ("es", "en"):
        swapped[f"questions-0-thread_{lang}"], swapped[f"questions-1-thread_{lang}"] = str(ids[lang][1]), str(ids[lang][0])
    response = client.post(f"/c/{community.slug}/organize/pairs/{pair.id}/edit", data=swapped)
    assert response.status_code == 400 and "conservan su orden" in response.get_data(as_text=True)


def test_dates_outside_a_sane_range_are_refused(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    response = new_pair(client, community, opens_at="0001-01-01T09:00")
    assert response.status_code == 400 and "entre los años 2000 y 2100" in response.get_data(as_text=True)


def test_at_most_twenty_questions_with_a_message(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    many = {f"questions-{i}-title_{lang}": f"¿{i}?" for i in range(20) for lang in ("es", "en")}
    response = new_pair(client, community, action="add", **many)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "como máximo 20 preguntas orientadoras" in page
    assert 'name="questions-20-title_es"' not in page


def test_earlier_versions_of_texts_can_be_read(client, db, login, org):
    community, organizer, _ = org
    login(organizer)
    new_pair(client, community, action="publish")
    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    data = organizing.input_from_pair(pair)
    data.concept_notes["es"] = "Nota corregida"
    organizing.save_pair(organizer, community, data, pair)
    page = client.get(f"/c/{community.slug}/organize/pairs/{pair.id}/revisions").get_data(as_text=True)
    assert "<strong>agua</strong>" in page and "Agua y territorio" in page

"""Communities: joining, requests and decisions, invitations, roles, directory, privacy."""
import pytest

from forum.mail import deliver_due
from forum.models import Invitation, Membership, Thread, User
from forum.services import posting
from tests.conftest import PASSWORD, forum_of, link_in, outbox, text_part, thread_url


def membership_of(db, user, community):
    return db.session.execute(db.select(Membership).filter_by(user_id=user.id, community_id=community.id)).scalar_one_or_none()


@pytest.fixture
def approval(make_user, make_community):
    moderator = make_user("Mara Moderadora", handle="mara")
    organizer = make_user("Oscar Organizador", handle="oscar")
    community = make_community("comite", join_policy="approval",
                               members={moderator: "moderator", organizer: "organizer"})
    return community, moderator, organizer


def test_request_to_join_then_approved_with_an_email_in_the_persons_language(client, db, login, make_user, approval, smtp):
    community, moderator, _ = approval
    person = make_user("Ben Joseph", email="ben@example.org", locale="en")
    login(person)
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "Ask to join" in page
    client.post(f"/c/{community.slug}/request", data={"message": "I work on coastal resilience."})
    assert membership_of(db, person, community).state == "pending"
    # Ben prefers English: his page says the request waits.
    assert "Your request to join is waiting for a moderator." in client.get(f"/c/{community.slug}").get_data(as_text=True)
    client.post("/auth/logout")

    login(moderator)
    queue = client.get(f"/c/{community.slug}/members/requests").get_data(as_text=True)
    assert "Ben Joseph" in queue and "I work on coastal resilience." in queue
    m = membership_of(db, person, community)
    response = client.post(f"/c/{community.slug}/members/requests/{m.id}", data={"decision": "approve"}, follow_redirects=True)
    assert "Ben Joseph ahora es miembro." in response.get_data(as_text=True)
    db.session.refresh(m)
    db.session.refresh(community)
    assert m.state == "active" and community.member_count == 3
    deliver_due()
    [message] = smtp.to("ben@example.org")
    assert message["Subject"] == f"You are now a member of “{community.name_en}”"


def test_declining_needs_a_reason_and_tells_the_person_why(client, db, login, make_user, approval, smtp):
    community, moderator, _ = approval
    person = make_user("Ana", email="ana@example.org", locale="es")
    login(person)
    client.post(f"/c/{community.slug}/request")
    client.post("/auth/logout")
    login(moderator)
    m = membership_of(db, person, community)
    response = client.post(f"/c/{community.slug}/members/requests/{m.id}", data={"decision": "decline", "reason": ""},
                           follow_redirects=True)
    assert "Explica el motivo" in response.get_data(as_text=True)
    client.post(f"/c/{community.slug}/members/requests/{m.id}",
                data={"decision": "decline", "reason": "El comité es solo para puntos focales nacionales."})
    db.session.refresh(m)
    assert m.state == "declined"
    deliver_due()
    [message] = smtp.to("ana@example.org")
    assert message["Subject"] == f"Tu solicitud para unirte a «{community.name_es}»"
    assert "El comité es solo para puntos focales nacionales." in text_part(message)
    client.post("/auth/logout")
    login(person)
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "El comité es solo para puntos focales nacionales." in page and "Solicitar unirse" in page


def test_members_and_other_communities_moderators_cannot_decide(client, db, login, make_user, make_community, approval):
    community, _, _ = approval
    person, member = make_user(), make_user()
    other_mod = make_user()
    make_community(members={other_mod: "moderator"})
    membership_of_member = Membership(user_id=member.id, community_id=community.id, role="member", state="active")
    db.session.add(membership_of_member)
    db.session.commit()
    login(person)
    client.post(f"/c/{community.slug}/request")
    client.post("/auth/logout")
    m = membership_of(db, person, community)
    for intruder in (member, other_mod):
        login(intruder)
        assert client.get(f"/c/{community.slug}/members/requests").status_code == 403
        assert client.post(f"/c/{community.slug}/members/requests/{m.id}", data={"decision": "approve"}).status_code == 403
        client.post("/auth/logout")
    db.session.refresh(m)
    assert m.state == "pending"


def test_open_community_cannot_be_requested_and_approval_cannot_be_joined_directly(client, db, login, make_user,
                                                                                   make_community, approval):
    community, _, _ = approval
    open_community = make_community("abierta")
    person = make_user()
    login(person)
    page = client.post(f"/c/{community.slug}/join", follow_redirects=True).get_data(as_text=True)
    assert "No es posible unirse directamente a esta comunidad." in page and "Solicitar unirse" in page
    assert membership_of(db, person, community) is None
    page = client.post(f"/c/{open_community.slug}/request", data={"message": "Hola"},
                       follow_redirects=True).get_data(as_text=True)
    assert "No puedes solicitar unirte a esta comunidad." in page
    assert membership_of(db, person, open_community) is None
    # Each community's own way in works for the same person.
    client.post(f"/c/{community.slug}/request", data={"message": "Hola"})
    client.post(f"/c/{open_community.slug}/join")
    assert membership_of(db, person, community).state == "pending"
    assert membership_of(db, person, open_community).state == "active"


def test_invitation_to_an_invite_only_community_for_someone_without_an_account(client, db, login, make_user, make_community, smtp):
    organizer = make_user("Oscar", handle="oscar")
    community = make_community("privada", visibility="private", join_policy="invite", members={organizer: "organizer"})
    login(organizer)
    response = client.post(f"/c/{community.slug}/members/invite",
                           data={"emails": "nueva@example.org, no-es-correo", "role": "member", "language": "en"})
    page = response.get_data(as_text=True)
    assert "Se envió 1 invitación." in page and "no-es-correo" in page
    client.post("/auth/logout")
    deliver_due()
    [message] = smtp.to("nueva@example.org")
    assert message["Subject"] == f"You are invited to “{community.name_en}”"
    link = link_in(text_part(message), "/c/invitations/").replace("http://localhost", "")
    page = client.get(link).get_data(as_text=True)
    assert "nueva@example.org" in page
    # Register with that address, then accept: membership, and the address is confirmed by the link.
    client.post(f"/auth/register?next={link}", data={"display_name": "Nueva", "email": "nueva@example.org",
                                                      "password": PASSWORD, "confirm": PASSWORD})
    client.post(link)
    user = db.session.execute(db.select(User).filter_by(email="nueva@example.org")).scalar_one()
    assert membership_of(db, user, community).state == "active"
    assert user.is_confirmed
    invitation = db.session.execute(db.select(Invitation)).scalar_one()
    assert invitation.accepted_by_id == user.id


def test_an_invitation_cannot_be_used_by_another_account_or_after_it_expires(app, client, db, login, make_user, make_community):
    organizer = make_user(handle="oscar")
    community = make_community(visibility="private", join_policy="invite", members={organizer: "organizer"})
    login(organizer)
    client.post(f"/c/{community.slug}/members/invite", data={"emails": "invitada@example.org", "role": "member", "language": "es"})
    client.post("/auth/logout")
    link = link_in(outbox("community_invitation")[0].body_text, "/c/invitations/").replace("http://localhost", "")
    intruder = make_user()
    login(intruder)
    response = client.post(link, follow_redirects=True)
    assert "Esta invitación se envió a otra dirección." in response.get_data(as_text=True)
    assert membership_of(db, intruder, community) is None
    app.config["INVITATION_MAX_AGE"] = -1
    try:
        response = client.get(link, follow_redirects=True)
    finally:
        app.config["INVITATION_MAX_AGE"] = 14 * 24 * 3600
    assert "Esta invitación ha caducado. Pide una nueva a los organizadores." in response.get_data(as_text=True)


def test_organizers_change_roles_but_never_remove_the_last_organizer(client, db, login, make_user, make_community):
    organizer, member = make_user(handle="oscar"), make_user(handle="mia")
    community = make_community(members={organizer: "organizer", member: "member"})
    login(member)
    response = client.post(f"/c/{community.slug}/members/{organizer.id}/role", data={"role": "member"},
                           follow_redirects=True)
    assert "Solo los organizadores pueden cambiar los roles." in response.get_data(as_text=True)
    assert membership_of(db, organizer, community).role == "organizer"
    client.post("/auth/logout")
    login(organizer)
    client.post(f"/c/{community.slug}/members/{member.id}/role", data={"role": "moderator"})
    assert membership_of(db, member, community).role == "moderator"
    response = client.post(f"/c/{community.slug}/members/{organizer.id}/role", data={"role": "member"}, follow_redirects=True)
    assert "Una comunidad necesita al menos un organizador." in response.get_data(as_text=True)
    response = client.post(f"/c/{community.slug}/leave", follow_redirects=True)
    assert "Eres el último organizador: nombra a otro organizador antes de salir." in response.get_data(as_text=True)
    assert membership_of(db, organizer, community) is not None
    client.post(f"/c/{community.slug}/members/{member.id}/remove")
    assert membership_of(db, member, community) is None
    db.session.refresh(community)
    assert community.member_count == 1


def test_directory_searches_filters_and_respects_what_people_show(client, db, login, make_user, make_community):
    viewer = make_user("Viewer")
    ana = make_user("Ana Morales", country="CL", institution="Municipalidad de Valparaíso", sector="subnational_government")
    hidden = make_user("Hugo Oculto", country="CL", institution="Ministerio Secreto", show_institution=False)
    other = make_user("Zoe Otra", country="MX", sector="academia")
    community = make_community(members={viewer: "member", ana: "member", hidden: "member", other: "member"})
    url = f"/c/{community.slug}/members/"
    assert client.get(url).status_code == 302  # visitors sign in first
    login(viewer)
    page = client.get(url, query_string={"country": "CL"}).get_data(as_text=True)
    assert "Ana Morales" in page and "Hugo Oculto" in page and "Zoe Otra" not in page
    assert "Ministerio Secreto" not in page
    assert "Hugo Oculto" not in client.get(url, query_string={"institution": "secreto"}).get_data(as_text=True)
    page = client.get(url, query_string={"q": "morales"}).get_data(as_text=True)
    assert "Ana Morales" in page and "Zoe Otra" not in page
    page = client.get(url, query_string={"sector": "academia"}).get_data(as_text=True)
    assert "Zoe Otra" in page and "Ana Morales" not in page
    assert ana.email not in client.get(url).get_data(as_text=True)


def test_directory_is_paginated(client, db, login, make_user, make_community):
    people = [make_user(f"Persona {i:02d}") for i in range(35)]
    community = make_community(members={p: "member" for p in people})
    login(people[0])
    page1 = client.get(f"/c/{community.slug}/members/").get_data(as_text=True)
    page2 = client.get(f"/c/{community.slug}/members/?page=2").get_data(as_text=True)
    assert page1.count("<tr>") - 1 == 30 and page2.count("<tr>") - 1 == 5  # 35 members, 30 a page


def test_outsiders_cannot_see_the_directory_of_a_community(client, login, make_user, make_community):
    community = make_community(visibility="public")
    login(make_user())
    assert client.get(f"/c/{community.slug}/members/").status_code == 403


def test_profile_shows_only_what_the_member_chose(client, db, login, make_user):
    person = make_user("Lía", handle="lia", country="AR", institution="CONICET", show_email=False)
    page = client.get("/u/lia").get_data(as_text=True)
    assert "Argentina" in page and "CONICET" in page and person.email not in page
    person.show_email, person.show_institution = True, False
    db.session.commit()
    assert person.email not in client.get("/u/lia").get_data(as_text=True)  # visitors never see emails
    login(make_user())
    page = client.get("/u/lia").get_data(as_text=True)
    assert person.email in page and "CONICET" not in page


def test_private_community_stays_out_of_listings_search_feeds_and_notifications(client, db, login, make_user, make_community, make_pair):
    insider, outsider = make_user(handle="insider"), make_user(handle="outsider")
    community = make_community("secreta", visibility="private", members={insider: "member"})
    forum = forum_of(make_pair(community), "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalars().first()
    posting.add_post(thread, insider, "Dato reservado del comité")
    db.session.commit()
    # Members see all of it: each check below fails for the outsider because of privacy, not a broken page.
    login(insider)
    assert community.name_es in client.get("/c/").get_data(as_text=True)
    assert client.get("/c/secreta").status_code == 200
    assert "1 resultado" in client.get("/search/?q=reservado").get_data(as_text=True)
    assert "Dato reservado" in client.get("/u/insider").get_data(as_text=True)
    assert "Dato reservado" in client.get(thread_url(thread)).get_data(as_text=True)
    assert client.get("/c/secreta/resources/").status_code == 200
    login(outsider)
    assert community.name_es not in client.get("/").get_data(as_text=True)
    assert community.name_es not in client.get("/c/").get_data(as_text=True)
    assert client.get("/c/secreta").status_code == 404
    assert "0 resultados" in client.get("/search/?q=reservado").get_data(as_text=True)
    assert client.get(f"/c/secreta/f/{forum.slug}/feed.atom").status_code == 404
    assert "Dato reservado" not in client.get("/u/insider").get_data(as_text=True)
    assert client.get(thread_url(thread)).status_code == 404
    assert client.get("/c/secreta/resources/").status_code == 404


def test_an_invitation_works_once_and_a_removed_member_needs_a_new_one(client, db, login, make_user, make_community):
    organizer = make_user(handle="oscar")
    guest = make_user("Invitada", email="invitada@example.org")
    community = make_community(visibility="private", join_policy="invite", members={organizer: "organizer"})
    login(organizer)
    client.post(f"/c/{community.slug}/members/invite", data={"emails": "invitada@example.org", "role": "member", "language": "es"})
    client.post("/auth/logout")
    link = link_in(outbox("community_invitation")[0].body_text, "/c/invitations/").replace("http://localhost", "")
    login(guest)
    client.post(link)
    assert membership_of(db, guest, community).is_active
    client.post("/auth/logout")
    login(organizer)
    page = client.post(f"/c/{community.slug}/members/invite",
                       data={"emails": "invitada@example.org", "role": "member", "language": "es"}).get_data(as_text=True)
    assert "1 persona ya es miembro." in page
    client.post(f"/c/{community.slug}/members/{guest.id}/remove")
    client.post("/auth/logout")
    login(guest)
    response = client.post(link, follow_redirects=True)
    assert "Esta invitación ya se usó." in response.get_data(as_text=True)
    assert membership_of(db, guest, community) is None
    client.post("/auth/logout")
    login(organizer)
    page = client.post(f"/c/{community.slug}/members/invite",
                       data={"emails": "invitada@example.org", "role": "member", "language": "es"}).get_data(as_text=True)
    assert "Se envió 1 invitación." in page
    new_link = link_in(outbox("community_invitation")[-1].body_text, "/c/invitations/").replace("http://localhost", "")
    assert new_link != link
    client.post("/auth/logout")
    login(guest)
    client.post(new_link)
    assert membership_of(db, guest, community).is_active


def test_the_only_organizer_cannot_delete_their_account(client, db, login, make_user, make_community):
    organizer = make_user()
    make_community(members={organizer: "organizer"})
    login(organizer)
    response = client.post("/auth/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400 and "Eres el único organizador" in response.get_data(as_text=True)
    db.session.refresh(organizer)
    assert organizer.deleted_at is None


def test_a_deleted_accounts_handle_never_collides(client, db, login, make_user):
    first = make_user()
    make_user(handle=f"former_{first.id}")
    login(first)
    assert client.post("/auth/account/delete", data={"password": PASSWORD}).status_code == 302
    db.session.refresh(first)
    assert first.handle == f"deleted-{first.id}"


def test_requests_larger_than_the_limit_get_a_translated_413(app, client):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/auth/login", data=big, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "El archivo es demasiado grande" in response.get_data(as_text=True)


def test_directory_search_takes_wildcards_literally(client, db, login, make_user, make_community):
    viewer = make_user("Vera")
    community = make_community(members={viewer: "member", make_user("Otro"): "member"})
    login(viewer)
    page = client.get(f"/c/{community.slug}/members/", query_string={"q": "%"}).get_data(as_text=True)
    assert "Nobody matches" in page or "Nadie coincide" in page

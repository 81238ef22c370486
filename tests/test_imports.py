"""Importing members from messy spreadsheets, from the web and the command line."""
import pytest

from forum.mail import deliver_due
from forum.models import Membership, OutboxMessage, User
from forum.services.imports import import_members
from tests.conftest import link_in, outbox, text_part

MESSY = (
    "Correo;Nombre;País;Institución;Sector;Idioma\n"
    "ana@example.org;Ana Pérez;Chile;Municipalidad de Valparaíso;Gobierno subnacional;es\n"
    "BEN@Example.org ; Ben Joseph ;Dominica;Ministry of Planning;national government;English\n"
    "no-es-un-correo;Nadie;Chile;;;es\n"
    "carla@example.org;Carla Ruiz;Narnia;;;es\n"
    "ana@example.org;Ana otra vez;Chile;;;es\n"
    "dora@example.org;Dora Ávila;MX;UNAM;academia;\n"
    "eva@example.org;Eva;Brasil;;astronautas;pt\n"
    ";;;;;\n"
    "existing@example.org;Ya Registrada;Perú;;;es\n"
)


@pytest.fixture
def setting(make_user, make_community):
    organizer = make_user("Oscar", handle="oscar")
    existing = make_user("Ya Registrada", email="existing@example.org")
    community = make_community("red", members={organizer: "organizer"})
    return community, organizer, existing


def test_messy_latin1_semicolon_file_imports_good_rows_and_reports_bad_ones(db, setting, smtp):
    community, _, existing = setting
    report = import_members(community, MESSY.encode("cp1252"))
    assert (report.created, report.added, report.unchanged) == (3, 1, 0)
    refused = dict(report.refused)
    assert set(refused) == {4, 5, 6, 8}
    assert "no-es-un-correo" in refused[4]
    assert "Narnia" in refused[5]
    assert "2" in refused[6]  # the duplicate points at its first line
    assert "astronautas" in refused[8]
    ben = db.session.execute(db.select(User).filter_by(email="ben@example.org")).scalar_one()
    assert (ben.display_name, ben.country, ben.sector, ben.locale) == ("Ben Joseph", "DM", "national_government", "en")
    assert ben.password_hash is None and not ben.is_confirmed
    dora = db.session.execute(db.select(User).filter_by(email="dora@example.org")).scalar_one()
    assert dora.locale == "es" and dora.country == "MX"
    assert db.session.execute(db.select(Membership).filter_by(user_id=existing.id, community_id=community.id)).scalar_one()
    db.session.refresh(community)
    assert community.member_count == 1 + 4
    # New people get a "choose your password" email in their language; existing ones get none.
    welcome = outbox("welcome_invitation")
    assert sorted(m.to_address for m in welcome) == ["ana@example.org", "ben@example.org", "dora@example.org"]
    deliver_due()
    [message] = smtp.to("ben@example.org")
    assert message["Subject"] == "Welcome to the Planning Network's forums"


def test_running_the_same_file_twice_changes_nothing(db, setting):
    community, _, _ = setting
    import_members(community, MESSY.encode("utf-8"))
    users = db.session.execute(db.select(db.func.count(User.id))).scalar()
    mails = db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar()
    report = import_members(community, MESSY.encode("utf-8"))
    assert (report.created, report.added, report.unchanged, len(report.refused)) == (0, 0, 4, 4)
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == users
    assert db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar() == mails


def test_utf8_with_bom_and_commas_and_english_headers(db, setting):
    community, _, _ = setting
    data = "\ufeffemail,name,country,institution,sector,language\nzoe@example.org,Zoë Núñez,Uruguay,UdelaR,Academia,es\n"
    report = import_members(community, data.encode("utf-8"))
    assert report.created == 1
    zoe = db.session.execute(db.select(User).filter_by(email="zoe@example.org")).scalar_one()
    assert zoe.display_name == "Zoë Núñez" and zoe.country == "UY" and zoe.sector == "academia"


def test_a_file_without_an_email_column_is_refused_whole(db, setting):
    community, _, _ = setting
    from forum.services import DomainError

    with pytest.raises(DomainError):
        import_members(community, b"nombre;pais\nAna;Chile\n")


def test_welcome_link_sets_the_password_and_signs_in(client, db, setting, smtp):
    community, _, _ = setting
    import_members(community, MESSY.encode("utf-8"))
    deliver_due()
    [message] = smtp.to("ana@example.org")
    link = link_in(text_part(message), "/auth/welcome/").replace("http://localhost", "")
    assert "ana@example.org" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"password": "mi clave nueva segura", "confirm": "mi clave nueva segura"})
    assert response.status_code == 302
    ana = db.session.execute(db.select(User).filter_by(email="ana@example.org")).scalar_one()
    assert ana.check_password("mi clave nueva segura") and ana.is_confirmed
    client.post("/auth/logout")
    used = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "ya se usó" in used and 'name="confirm"' not in used


def test_web_import_for_organizers_only(client, db, login, make_user, setting):
    community, organizer, _ = setting
    import io

    member = make_user()
    db.session.add(Membership(user_id=member.id, community_id=community.id, role="member"))
    db.session.commit()
    login(member)
    assert client.get(f"/c/{community.slug}/members/import").status_code == 403
    client.post("/auth/logout")
    login(organizer)
    response = client.post(f"/c/{community.slug}/members/import",
                           data={"file": (io.BytesIO(MESSY.encode("cp1252")), "miembros.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Creadas: 3" in page and "Rechazadas: 4" in page
    assert "país desconocido «Narnia»" in page


def test_cli_import_shows_progress_and_a_summary(runner, db, setting, tmp_path):
    community, _, _ = setting
    path = tmp_path / "members.csv"
    path.write_bytes(MESSY.encode("cp1252"))
    result = runner.invoke(args=["members", "import", str(path), "--community", community.slug])
    assert result.exit_code == 0, result.output
    assert "created 3, added 1, unchanged 0, refused 4 (of 8 rows)" in result.output
    assert "line 5: refused:" in result.output
    result = runner.invoke(args=["members", "import", str(path), "--community", "nope"])
    assert result.exit_code != 0 and "No community" in result.output


@pytest.mark.parametrize("written,code", [("Trinidad and Tobago", "TT"), ("Trinidad y Tobago", "TT"),
                                          ("MÉXICO", "MX"), ("bra", "BR"), ("Perú", "PE"), ("Saint Lucia", "LC")])
def test_country_names_are_read_as_spreadsheets_write_them(db, setting, written, code):
    community, _, _ = setting
    report = import_members(community, f"email,country\nx@example.org,{written}\n".encode())
    assert report.created == 1, report.refused
    assert db.session.execute(db.select(User.country).filter_by(email="x@example.org")).scalar() == code


def test_a_malformed_file_is_refused_with_its_line(db, setting):
    community, _, _ = setting
    from forum.services import DomainError

    with pytest.raises(DomainError) as error:
        import_members(community, ("email,name\nok@example.org," + "x" * 200_000 + "\n").encode())
    assert "2" in str(error.value.message)


def test_excel_sep_line_tabs_and_utf16_are_read(db, setting):
    community, _, _ = setting
    assert import_members(community, b"sep=;\nemail;name\na1@example.org;Uno\n").created == 1
    assert import_members(community, b"email\tname\na2@example.org\tDos\n").created == 1
    assert import_members(community, "email,name\na3@example.org,Tres\n".encode("utf-16")).created == 1


def test_welcome_emails_of_an_import_are_the_ones_sent_to_a_person_added_alone(db, setting, monkeypatch):
    from forum import tokens
    from forum.services import accounts

    monkeypatch.setattr(tokens, "make", lambda purpose, data: f"{purpose}-{data['id']}")
    community = setting[0]
    data = ("email;name;language\nob@example.org;O'Brien & \"Co\" <b>;en\nam@example.org;Ana\u00a0María;es\n"
            "zo@example.org;Zoë;es\n").encode()
    import_members(community, data)
    imported = {m.to_address: (m.subject, m.body_text, m.body_html, m.locale) for m in outbox("welcome_invitation")}
    db.session.execute(db.delete(OutboxMessage))
    for user in db.session.execute(db.select(User).where(User.email.in_(imported))).scalars():
        accounts.send_welcome(user, community)
    db.session.commit()
    alone = {m.to_address: (m.subject, m.body_text, m.body_html, m.locale) for m in outbox("welcome_invitation")}
    assert len(imported) == 3 and imported == alone
    assert "O'Brien &amp; \"Co\" &lt;b&gt;" in imported["ob@example.org"][2]
    members = db.session.execute(db.select(Membership).filter_by(community_id=community.id, state="active")).all()
    db.session.refresh(community)
    assert community.member_count == len(members)

"""Registering, confirming, signing in and out, resetting a password, editing a profile."""
from forum.mail import deliver_due
from forum.models import User
from tests.conftest import PASSWORD, link_in, outbox, text_part


def register(client, email="nueva@example.org", name="Nueva Persona", password="una clave larga", **headers):
    return client.post("/auth/register", data={
        "display_name": name, "email": email, "password": password, "confirm": password,
    }, headers=headers)


def test_registration_queues_confirmation_in_the_visitors_language_and_the_link_confirms(client, db, smtp):
    response = register(client, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 302
    user = db.session.execute(db.select(User).filter_by(email="nueva@example.org")).scalar_one()
    assert user.locale == "en"
    assert not user.is_confirmed
    assert user.password_hash.startswith("scrypt:")  # a memory-hard KDF, never plain text
    assert user.handle == "nueva_persona"

    [queued] = outbox("confirm_email")
    assert queued.status == "queued"  # the request itself sent nothing
    assert deliver_due()["sent"] == 1

    [message] = smtp.to("nueva@example.org")
    assert message["Subject"] == "Confirm your email address"
    assert message["Message-ID"] and message["Date"]
    assert message.get_body(preferencelist=("html",)) is not None
    link = link_in(text_part(message), "/auth/confirm/")
    response = client.get(link.replace("http://localhost", ""))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_confirmed


def test_confirmation_email_is_in_spanish_for_a_spanish_visitor(client, smtp):
    register(client, email="ana@example.org", **{"Accept-Language": "es-CL,es;q=0.9"})
    deliver_due()
    [message] = smtp.to("ana@example.org")
    assert message["Subject"] == "Confirma tu dirección de correo electrónico"
    assert "Hola Nueva Persona" in text_part(message)


def test_expired_confirmation_link_is_refused_with_a_message(app, client, db, make_user):
    register(client)
    token = link_in(outbox("confirm_email")[0].body_text, "/auth/confirm/").rsplit("/", 1)[1]
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    try:
        response = client.get(f"/auth/confirm/{token}", follow_redirects=True)
    finally:
        app.config["CONFIRM_TOKEN_MAX_AGE"] = 2 * 24 * 3600
    assert "Este enlace de confirmación ha caducado" in response.get_data(as_text=True)
    user = db.session.execute(db.select(User).filter_by(email="nueva@example.org")).scalar_one()
    assert not user.is_confirmed


def test_tampered_confirmation_link_is_refused(client):
    register(client)
    response = client.get("/auth/confirm/not-a-real-token", follow_redirects=True)
    assert "no es válido" in response.get_data(as_text=True)


def test_registration_errors_are_shown_next_to_fields_and_keep_what_was_typed(client, make_user):
    make_user(email="taken@example.org")
    response = register(client, email="taken@example.org", name="Typed <b>Name</b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ya existe una cuenta con este correo" in page
    assert 'value="Typed &lt;b&gt;Name&lt;/b&gt;"' in page  # kept, and escaped
    response = register(client, email="not-an-email", password="short")
    page = response.get_data(as_text=True)
    assert "Escribe una dirección de correo válida." in page
    assert "Usa al menos 10 caracteres" in page


def test_sign_in_and_out(client, make_user):
    user = make_user("Rosa")
    bad = client.post("/auth/login", data={"email": user.email, "password": "wrong"})
    assert bad.status_code == 400
    assert "Correo o contraseña incorrectos." in bad.get_data(as_text=True)
    good = client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert good.status_code == 302
    assert "Cerrar sesión" in client.get("/").get_data(as_text=True)
    client.post("/auth/logout")
    assert "Iniciar sesión" in client.get("/").get_data(as_text=True)


def test_sign_in_only_follows_local_next_links(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_sign_in_attempts_are_rate_limited(client, make_user):
    # Per address: each attempt names another account, so only the address's limit applies.
    statuses = [client.post("/auth/login", data={"email": f"x{n}@example.org", "password": "nope"}).status_code
                for n in range(12)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    page = client.get("/").get_data(as_text=True)
    assert page  # the site still answers


def test_password_reset_by_email_link_works_once(client, db, smtp, make_user):
    user = make_user("Olvidadiza", email="olvido@example.org", locale="en")
    response = client.post("/auth/reset", data={"email": "olvido@example.org"}, follow_redirects=True)
    assert "enviamos un enlace" in response.get_data(as_text=True)
    deliver_due()
    [message] = smtp.to("olvido@example.org")
    assert message["Subject"] == "Choose a new password"
    path = link_in(text_part(message), "/auth/reset/").replace("http://localhost", "")

    response = client.post(path, data={"password": "otra clave segura", "confirm": "otra clave segura"})
    assert response.status_code == 302
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    assert client.post("/auth/login", data={"email": user.email, "password": "otra clave segura"}).status_code == 302
    client.post("/auth/logout")
    again = client.post(path, data={"password": "tercera clave segura", "confirm": "tercera clave segura"},
                        follow_redirects=True)
    assert "ya se usó" in again.get_data(as_text=True)
    # A used link says so at once, before anyone types a new password.
    assert "ya se usó" in client.get(path, follow_redirects=True).get_data(as_text=True)


def test_reset_request_does_not_reveal_whether_an_account_exists(client, smtp):
    response = client.post("/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "enviamos un enlace" in response.get_data(as_text=True)
    assert outbox() == []


def test_profile_edit_saves_every_field(client, db, login, make_user):
    user = make_user("Pedro")
    login(user)
    page = client.get("/auth/profile").get_data(as_text=True)
    # Latin America and the Caribbean come first, names in the UI language.
    assert page.index(">Antigua y Barbuda<") < page.index(">Afganistán<")
    assert "Solo para estadísticas agregadas" in page
    assert "América Latina y el Caribe" in page  # countries and zones are grouped
    response = client.post("/auth/profile", data={
        "display_name": "Pedro Pablo", "handle": "pedro_p", "country": "PE",
        "institution": "Gobierno Regional de Cusco", "sector": "subnational_government",
        "gender": "man", "locale": "en", "timezone": "America/Lima",
    })
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.handle, user.country, user.institution, user.sector, user.gender,
            user.locale, user.timezone) == ("Pedro Pablo", "pedro_p", "PE", "Gobierno Regional de Cusco",
                                            "subnational_government", "man", "en", "America/Lima")
    # Their preferred language now decides the UI.
    assert "Your profile" in client.get("/auth/profile").get_data(as_text=True)


def test_profile_refuses_bad_values_with_messages_and_keeps_input(client, db, login, make_user):
    other = make_user(handle="taken_handle")
    user = make_user("Lucía")
    login(user)
    response = client.post("/auth/profile", data={
        "display_name": "Lucía <script>alert(1)</script>", "handle": "taken_handle", "country": "XX",
        "institution": "x" * 50, "sector": "", "gender": "", "locale": "es", "timezone": "",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Este identificador ya está en uso." in page
    assert "<script>alert(1)</script>" not in page
    assert "Lucía &lt;script&gt;" in page
    response = client.post("/auth/profile", data={
        "display_name": "Lucía", "handle": "lucia", "country": "XX", "locale": "es",
    })
    assert "Elige un país de la lista." in response.get_data(as_text=True)
    response = client.post("/auth/profile", data={
        "display_name": "Lucía", "handle": "lucia", "timezone": "Mars/Olympus", "locale": "es",
    })
    assert "Elige una zona horaria de la lista." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.handle != "taken_handle" and other.handle == "taken_handle"


def test_profile_requires_sign_in(client):
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_names_made_of_invisible_or_direction_characters_are_refused_or_cleaned(client, db, login, make_user):
    response = register(client, name="\u200b\u200b")
    assert response.status_code == 400 and "Escribe tu nombre." in response.get_data(as_text=True)
    user = make_user()
    login(user)
    client.post("/auth/profile", data={"display_name": "\u202eevil\u200b name", "handle": user.handle, "locale": "es"})
    db.session.refresh(user)
    assert user.display_name == "evil name"

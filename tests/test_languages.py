"""Languages as configuration: LANGUAGES offers every configured language that has a catalog,
and `flask translate init` starts the catalog of a new one."""
import logging
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from forum import cli
from forum.languages import configure
from forum.models import OutboxMessage, User
from forum.services import accounts
from forum.services.imports import import_members

ROOT = Path(__file__).resolve().parent.parent
PORTUGUESE_BROWSER = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}


@pytest.fixture
def with_portuguese(app, monkeypatch):
    """The site as an operator sets it up with `LANGUAGES=es,en,pt` (restored after the test)."""
    monkeypatch.setitem(app.config, "LANGUAGES", "es,en,pt")
    configure(app)
    return app


def test_a_brazilian_browser_gets_portuguese_pages_once_enabled(with_portuguese, client):
    page = client.get("/", headers=PORTUGUESE_BROWSER).get_data(as_text=True)
    assert '<html lang="pt">' in page
    assert "Fóruns abertos" in page and "Entrar" in page and "Cadastrar-se" in page
    assert 'value="pt" lang="pt"' in page and "Português" in page  # the switcher offers it
    missing = client.get("/nowhere", headers=PORTUGUESE_BROWSER).get_data(as_text=True)
    assert "Esta página não existe ou você não tem permissão para vê-la." in missing


def test_portuguese_is_not_offered_until_it_is_configured(client):
    page = client.get("/", headers=PORTUGUESE_BROWSER).get_data(as_text=True)
    assert '<html lang="en">' in page and "Open forums" in page  # the browser's next choice
    assert "Português" not in page
    only_portuguese = client.get("/", headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    assert '<html lang="es">' in only_portuguese and "Foros abiertos" in only_portuguese
    response = client.post("/language", data={"lang": "pt", "next": "/"})
    assert not any(h.startswith("lang=") for h in response.headers.getlist("Set-Cookie"))


def test_switcher_and_profile_offer_portuguese_and_keep_the_choice(with_portuguese, client, db, login, make_user):
    user = make_user(locale="es")
    login(user)
    client.post("/language", data={"lang": "pt", "next": "/"})
    db.session.refresh(user)
    assert user.locale == "pt"
    profile = client.get("/auth/profile", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Idioma preferido" in profile  # in Portuguese: the member's choice beats the browser
    assert '<option selected value="pt">Português</option>' in profile


def test_emails_go_out_in_portuguese_only_when_it_is_offered(app, monkeypatch, db, make_user):
    member = make_user(locale="pt", confirmed=False)
    accounts.send_confirmation(member)
    assert db.session.execute(db.select(OutboxMessage.subject)).scalar_one() == \
        "Confirma tu dirección de correo electrónico"  # pt not configured: Spanish, the default
    db.session.execute(db.delete(OutboxMessage))
    monkeypatch.setitem(app.config, "LANGUAGES", "es,en,pt")
    configure(app)
    accounts.send_confirmation(member)
    message = db.session.execute(db.select(OutboxMessage)).scalar_one()
    assert message.subject == "Confirme seu endereço de e-mail" and message.locale == "pt"
    assert "Siga este link para confirmar seu endereço de e-mail" in message.body_text


def test_a_configured_language_without_catalog_is_left_out_and_spanish_is_required(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "LANGUAGES", " ES, en ,pt,fr,pt")
    with caplog.at_level(logging.WARNING):
        configure(app)
    assert app.config["LANGUAGES"] == ("es", "en", "pt")
    assert "no catalog in translations/ for fr" in caplog.text
    monkeypatch.setitem(app.config, "LANGUAGES", "en,pt")
    with pytest.raises(RuntimeError, match="LANGUAGES must include es"):
        configure(app)


def test_translate_init_creates_a_catalog_that_languages_can_then_offer(app, tmp_path, monkeypatch):
    copy = tmp_path / "checkout"
    for part in ("forum", "templates"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "babel.cfg", copy / "babel.cfg")
    shutil.copytree(ROOT / "translations", copy / "translations", ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(cli, "ROOT", copy)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["translate", "init", "fr"])
    assert result.exit_code == 0, result.output
    assert "Created translations/fr/LC_MESSAGES/messages.po" in result.output
    po = copy / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as f:
        catalog = read_po(f)
    assert str(catalog.locale) == "fr"
    assert catalog.get("Open forums") is not None and catalog.get("Open forums").string == ""
    assert len(catalog) > 1000

    po.write_text(po.read_text(encoding="utf-8") + "\n# work in progress\n", encoding="utf-8")
    again = runner.invoke(args=["translate", "init", "fr"])
    assert again.exit_code != 0 and "already exists" in again.output
    assert po.read_text(encoding="utf-8").endswith("# work in progress\n")  # a second init never overwrites
    assert runner.invoke(args=["translate", "init", "../fr"]).exit_code != 0

    monkeypatch.setitem(app.config, "BABEL_TRANSLATION_DIRECTORIES", str(copy / "translations"))
    monkeypatch.setitem(app.config, "LANGUAGES", "es,en,fr")
    configure(app)
    assert app.config["LANGUAGES"] == ("es", "en", "fr")


def test_a_member_import_accepts_portuguese_only_once_it_is_offered(app, monkeypatch, db, make_user, make_community):
    community = make_community("rede", members={make_user("Oscar", handle="oscar"): "organizer"})
    sheet = "email,name,country,language\nluiza@example.org,Luiza Souza,Brasil,Português\n".encode()
    refused = dict(import_members(community, sheet).refused)
    assert "Português" in refused[2] and "es, en" in refused[2]
    monkeypatch.setitem(app.config, "LANGUAGES", "es,en,pt")
    configure(app)
    assert import_members(community, sheet).created == 1
    luiza = db.session.execute(db.select(User).filter_by(email="luiza@example.org")).scalar_one()
    assert luiza.locale == "pt"
    welcome = db.session.execute(db.select(OutboxMessage).filter_by(to_address="luiza@example.org")).scalar_one()
    assert welcome.subject == "Boas-vindas aos fóruns da Rede de Planejamento"

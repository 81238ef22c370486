"""Language choice, translated pages and complete catalogs."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from forum.i18n import country_choices

ROOT = Path(__file__).resolve().parent.parent


def test_spanish_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Foros abiertos" in page


def test_browser_language_is_followed(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Open forums" in page


def test_switcher_choice_wins_over_browser_and_is_remembered(client):
    response = client.post("/language", data={"lang": "es", "next": "/c/"})
    assert response.headers["Location"] == "/c/"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang="))
    assert "HttpOnly" in cookie and "Max-Age=" in cookie
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Foros abiertos" in page


def test_switcher_refuses_foreign_next_and_unknown_language(client):
    response = client.post("/language", data={"lang": "fr", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"
    assert not any(h.startswith("lang=") for h in response.headers.getlist("Set-Cookie"))


def test_members_preference_wins_over_browser(client, login, make_user):
    user = make_user(locale="en")
    login(user)
    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Open forums" in page


def test_switching_while_signed_in_saves_the_preference(client, db, login, make_user):
    user = make_user(locale="es")
    login(user)
    client.post("/language", data={"lang": "en", "next": "/"})
    db.session.refresh(user)
    assert user.locale == "en"


def test_error_pages_are_translated(client):
    es = client.get("/nowhere")
    assert es.status_code == 404
    assert "Página no encontrada" in es.get_data(as_text=True)
    en = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert "Page not found" in en.get_data(as_text=True)
    assert client.post("/").status_code == 405
    assert "Esta acción no es posible aquí" in client.post("/").get_data(as_text=True)


def test_error_500_page_is_translated(app, client, monkeypatch):
    def boom():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "communities.index", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/c/", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_country_list_puts_latin_america_and_the_caribbean_first_in_the_ui_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        en = country_choices("en")
    names = [name for _, name in en]
    assert len(en) > 240
    assert names.index("Trinidad & Tobago") < names.index("Afghanistan")
    es = dict(country_choices("es"))
    assert es["BR"] == "Brasil" and es["DE"] == "Alemania"


def _extract(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True)
    with open(pot, "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def _catalog(lang: str):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(f, locale=lang) if m.id}


def _catalog_languages() -> list[str]:
    """Every catalog in translations/, whether or not LANGUAGES offers it yet."""
    return sorted(p.name for p in (ROOT / "translations").iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file())


def test_every_string_is_in_every_catalog_and_translated(tmp_path):
    strings = _extract(tmp_path)
    assert len(strings) > 100
    assert {"es", "en", "pt"} <= set(_catalog_languages())
    for lang in _catalog_languages():
        catalog = _catalog(lang)
        missing = sorted(strings - set(catalog))
        assert not missing, f"missing from {lang} catalog (run `flask --app forum translate update`): {missing[:10]}"
        untranslated = sorted(k for k in strings if not all(catalog[k].string if isinstance(catalog[k].string, tuple) else [catalog[k].string]))
        assert not untranslated, f"untranslated in {lang}: {untranslated[:10]}"
        fuzzy = sorted(k for k in strings if catalog[k].fuzzy)
        assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:10]}"


def test_translations_keep_their_placeholders():
    """Every catalog: a translation names exactly the msgid's %(...)s placeholders (the singular
    of a plural may leave out the count), else the page or email breaks or loses a value."""
    import re

    placeholder = r"%\(\w+\)[.\d]*[sdf]"
    for lang in _catalog_languages():
        for msgid, message in _catalog(lang).items():
            ids = [msgid] if isinstance(message.id, str) else list(message.id)
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            wanted = set(re.findall(placeholder, " ".join(ids)))
            for s in strings:
                found = set(re.findall(placeholder, s))
                assert found <= wanted | {"%(num)d"}, (lang, msgid, s)
                assert wanted - {"%(num)d"} <= found, (lang, msgid, s)


def test_portuguese_plural_forms_are_brazilian():
    with open(ROOT / "translations" / "pt" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    assert catalog.num_plurals == 2 and catalog.plural_expr.replace(" ", "") == "(n>1)"


def test_a_visitors_language_choice_survives_signing_in(client, login, make_user):
    user = make_user(locale="es")
    client.post("/language", data={"lang": "en", "next": "/"})
    login(user)
    assert "Open forums" in client.get("/").get_data(as_text=True)

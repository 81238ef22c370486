"""Browser fixtures: the app served on loopback, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

if not os.path.exists(CHROMIUM):
    pytest.skip(f"browser tests need {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

AXE_JS = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js")


@pytest.fixture
def live_server(app):
    """The app on a free loopback port, with CSRF on, as in production and in every other test."""
    assert app.config.get("WTF_CSRF_ENABLED", True), "CSRF protection is off"
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(locale: str = "es-ES", phone: bool = False, **options):
        viewport = {"width": 375, "height": 812} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(locale=locale, viewport=viewport, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def axe_scan(browser):
    """Run axe-core on a URL in a context that bypasses CSP (only the scanner does)."""
    def scan(url: str, locale: str = "es-ES", login: tuple[str, str] | None = None) -> list[dict]:
        context = browser.new_context(locale=locale, bypass_csp=True)
        page = context.new_page()
        if login:
            sign_in(page, "/".join(url.split("/", 3)[:3]), *login)
        page.goto(url)
        if login:  # the page scanned is the one asked for, seen by the person signed in
            assert page.url == url, f"{url} went to {page.url}"
            assert_signed_in(page)
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        context.close()
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]
    return scan


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the real form, and check that it worked: a refused or rate-limited
    sign-in stays on the sign-in page, and whatever came next would test the wrong page."""
    page.goto(f"{base}/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/auth/login" not in page.url, f"signing in as {email} failed: {page.locator('main').inner_text()[:300]}"
    assert_signed_in(page)


def assert_signed_in(page) -> None:
    """The header's sign-out form is there only for someone signed in."""
    assert page.locator("form[action='/auth/logout']").count() >= 1, f"not signed in on {page.url}"

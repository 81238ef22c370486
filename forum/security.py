"""Response headers every page sends: a CSP that forbids inline script, and friends."""
from flask import Flask

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    # HSTS only where the site is served over https (BASE_URL), and only in production
    # (HSTS_SECONDS is 0 elsewhere): browsers then refuse plain http to it for that long.
    hsts_seconds = app.config.get("HSTS_SECONDS") or 0
    hsts = f"max-age={hsts_seconds}" if hsts_seconds and app.config["BASE_URL"].startswith("https://") else None

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        return response

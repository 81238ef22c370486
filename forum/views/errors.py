"""Translated error pages."""
from flask import Flask, make_response, render_template
from sqlalchemy.exc import OperationalError
from flask_wtf.csrf import CSRFError

from forum.extensions import db
from forum.i18n import locale_code


def init_app(app: Flask) -> None:
    def page(code: int):
        def handler(error):
            if code == 500:
                db.session.rollback()
            return render_template(f"errors/{code}.html", error=error), code
        return handler

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, page(code))
    app.register_error_handler(CSRFError, page(400))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        """The database is down or locked: a clean 503 whose page needs no query."""
        db.session.rollback()
        response = make_response(render_template("errors/503.html", current_locale=locale_code()), 503)
        response.headers["Retry-After"] = "30"
        return response

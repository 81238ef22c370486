"""Translated error pages."""
from flask import Flask, g, make_response, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError

from forum.extensions import db
from forum.i18n import locale_code
from forum.policy import NotAllowed


def init_app(app: Flask) -> None:
    def page(code: int):
        def handler(error):
            if code == 500:
                if isinstance(getattr(error, "original_exception", None), (OperationalError, InterfaceError)):
                    return database_unavailable(error.original_exception)
                db.session.rollback()
            return render_template(f"errors/{code}.html", error=error), code
        return handler

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, page(code))
    app.register_error_handler(CSRFError, page(400))

    @app.errorhandler(NotAllowed)
    def not_allowed(error):
        """A service refused by the policy (`ensure`) with nothing else to say: the 403 page with
        the rule's own message."""
        db.session.rollback()
        return render_template("errors/403.html", error=error, message=error.message), 403

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        """The database is down or locked: a clean 503 whose page needs no query."""
        from forum.extensions import login_manager

        try:
            db.session.rollback()
        except (OperationalError, InterfaceError):
            pass
        g._login_user = login_manager.anonymous_user()  # loading the person would need the database
        response = make_response(render_template("errors/503.html", current_locale=locale_code()), 503)
        response.headers["Retry-After"] = "30"
        return response

"""Translated error pages."""
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from forum.extensions import db


def init_app(app: Flask) -> None:
    def page(code: int):
        def handler(error):
            if code == 500:
                db.session.rollback()
            return render_template(f"errors/{code}.html", error=error), code
        return handler

    for code in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(code, page(code))
    app.register_error_handler(CSRFError, page(400))

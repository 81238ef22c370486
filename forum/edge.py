"""Control characters are refused at the edge, for every request.

A NUL byte in a query string, a path, a form or a JSON body would reach PostgreSQL, which refuses
it (a 500, and the text among the logged SQL parameters), while SQLite would store it. Tab, line
feed and carriage return are text; every other control character (Unicode category Cc) is not.

- In the URL (path or query string) or a JSON body: a translated 400 page.
- In a form: the form's own check (forum.forms.BaseForm) puts an error on the field and the page
  comes back with the text kept. A view that reads a raw field still cannot store it: the flush
  check refuses it (forum.database.ForbiddenCharacter), answered here with the same 400 page.
"""
from __future__ import annotations

import re

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest

from forum.database import ForbiddenCharacter

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MESSAGE = _l("The text contains a control character (such as a NUL byte) that cannot be saved. "
             "Remove it and try again.")


def has_control(text: str | None) -> bool:
    return bool(text) and CONTROL.search(text) is not None


def _json_has_control(value) -> bool:
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, dict):
        return any(_json_has_control(k) or _json_has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_control(v) for v in value)
    return False


class ControlCharacter(BadRequest):
    """A 400 whose page says what was wrong (the error page reads `forum_message`)."""

    forum_message = MESSAGE


def refuse_control_characters() -> None:
    """before_request: the URL and JSON bodies; forms are left to their fields' errors."""
    if has_control(request.path) or any(has_control(k) or has_control(v)
                                        for k, v in request.args.items(multi=True)):
        raise ControlCharacter()
    if request.is_json and _json_has_control(request.get_json(silent=True)):
        raise ControlCharacter()


def _is_nul_refusal(error: DataError) -> bool:
    return "NUL (0x00)" in str(getattr(error, "orig", ""))


def init_app(app: Flask) -> None:
    app.before_request(refuse_control_characters)

    @app.errorhandler(ForbiddenCharacter)
    def _forbidden_character(_error):
        from forum.extensions import db

        db.session.rollback()
        return render_template("errors/400.html", error=ControlCharacter()), 400

    @app.errorhandler(DataError)
    def _data_error(error):
        """PostgreSQL's own refusal of a NUL (a raw field used in a query): the same 400."""
        if _is_nul_refusal(error):
            return _forbidden_character(error)
        raise error

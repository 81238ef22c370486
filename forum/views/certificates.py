"""The public page that confirms a certificate of participation by its code."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from forum.extensions import limiter
from forum.services import certificates

bp = Blueprint("certificates", __name__)


@bp.get("/certificates/")
@limiter.limit("60 per minute")
def lookup():
    """A form to type a code read from paper; a code given goes to its page."""
    code = certificates.normalise_code(request.args.get("code", ""))
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify.html", code=request.args.get("code", ""),
                           registration=None, asked=bool(request.args.get("code"))), (
        400 if request.args.get("code") else 200)


@bp.get("/certificates/<code>")
@limiter.limit("60 per minute")
def verify(code: str):
    registration = certificates.verify(code)
    facts = certificates.facts(registration) if registration is not None else None
    return render_template("certificates/verify.html", code=code, registration=registration, facts=facts,
                           asked=True), 200 if registration is not None else 404

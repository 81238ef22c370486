"""The health check's question to the database, for load balancers and monitors."""
from sqlalchemy import text

from forum.extensions import db
from forum.services.atomic import unit_of_work


def database_status() -> str:
    """"ok", or the class of the error that stopped a SELECT 1 (its transaction rolled back, so
    the same worker's next request starts clean)."""
    try:
        with unit_of_work():
            db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means unhealthy; say which
        return f"error: {type(exc).__name__}"
    return "ok"

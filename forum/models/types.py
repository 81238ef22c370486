"""Column types shared by the models."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, text
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator

from forum.markup import RENDER_VERSION


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones, so values are stored as naive UTC there and
    made aware again on the way out; PostgreSQL stores timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def render_version_column():
    """Which renderer made the HTML stored beside a Markdown source (forum.markup.RENDER_VERSION).

    Rows from before the column existed, or written without the ORM, say 1: the first
    renderer. `flask --app forum markup rerender` brings older ones up to date."""
    return mapped_column(Integer, default=RENDER_VERSION, server_default=text("1"))

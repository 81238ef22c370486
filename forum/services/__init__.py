"""Domain logic in plain functions, shared by views and CLI commands.

A service validates, changes, commits, and raises DomainError with a
translatable message; it never touches the request or flashes.
"""


class DomainError(Exception):
    """A rule refused the change; `message` is shown to the person (translatable)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def like_pattern(text: str) -> str:
    """`%text%` for a LIKE with escape="\\": the wildcards people type are taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def safe_cell(value: str) -> str:
    """A CSV text cell a spreadsheet will not run as a formula (=, +, -, @ first)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

"""Domain logic in plain functions, shared by views and CLI commands.

A service validates, changes, commits, and raises DomainError with a
translatable message; it never touches the request or flashes. The errors themselves
live in forum/errors.py (below every service); they are named here too, as callers know them.
"""
from forum.errors import DomainError, ValidationErrors

__all__ = ["DomainError", "ValidationErrors", "like_pattern", "safe_cell"]


def like_pattern(text: str) -> str:
    """`%text%` for a LIKE with escape="\\": the wildcards people type are taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def safe_cell(value: str) -> str:
    """A CSV text cell a spreadsheet will not run as a formula (=, +, -, @ first)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

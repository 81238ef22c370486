"""The synthesis report as files: Word (DOCX), Markdown, CSV and JSON.

`outline` orders what the report says; `word` and `markdown_file` write it, each post from
the same parsed Markdown the web page is rendered from (`forum.markup.parse`); `charts` draws
the figures; `data_files` gives the data behind it; `quotes` picks what a writer could quote.
"""
from __future__ import annotations

from forum.services.report.data_files import (
    PARTICIPANT_COLUMNS,
    POST_COLUMNS,
    participants_csv,
    posts_csv,
    to_json,
)
from forum.services.report.markdown_file import to_markdown
from forum.services.report.outline import Block, outline
from forum.services.report.word import PAPERS, to_docx

FORMATS = ("docx", "md", "csv", "json", "quotes-md", "quotes-csv")


def render(report, fmt: str, paper: str = "a4") -> dict[str, bytes]:
    """{suffix: content}: one file, or two for CSV (posts, and participants)."""
    if fmt == "quotes-md":
        from forum.services import quotes_sheet
        return {"": quotes_sheet.to_markdown(report).encode("utf-8")}
    if fmt == "quotes-csv":
        from forum.services import quotes_sheet
        return {"": quotes_sheet.to_csv(report).encode("utf-8-sig")}
    if fmt == "docx":
        return {"": to_docx(report, paper=paper)}
    if fmt == "md":
        return {"": to_markdown(report).encode("utf-8")}
    if fmt == "json":
        return {"": to_json(report).encode("utf-8")}
    if fmt == "csv":
        return {"": posts_csv(report).encode("utf-8-sig"), "-participants": participants_csv(report).encode("utf-8-sig")}
    raise ValueError(fmt)


def charts(report) -> dict[str, bytes]:
    from forum.services.report.figures import charts as draw

    return draw(report)


__all__ = ["FORMATS", "PAPERS", "PARTICIPANT_COLUMNS", "POST_COLUMNS", "Block", "charts", "outline",
           "participants_csv", "posts_csv", "render", "to_docx", "to_json", "to_markdown"]

"""The quotes sheet: the passages moderators chose for the report, with their citations, by
question and theme, as Markdown to paste into the report and as CSV for a spreadsheet."""
from __future__ import annotations

import csv
import io

from flask_babel import force_locale, gettext

from forum.services import safe_cell
from forum.services.synthesis import Report

QUOTE_COLUMNS = ("question", "question_title", "theme", "theme_label", "forum_language", "post_id", "citation",
                 "text")


def _title(section, lang: str) -> str:
    return section.titles.get(lang) or next(iter(section.titles.values()), "")


def to_markdown(report: Report) -> str:
    with force_locale(report.language):
        lines = [f"# {gettext('Quotes for the report')}", "", f"*{report.title}*", ""]
        if not any(section.quotes for section in report.questions):
            lines.append(gettext("The moderators have not chosen quotes yet: they choose them when curating."))
        for section in report.questions:
            if not section.quotes:
                continue
            heading = gettext("Guiding question %(n)d", n=section.position)
            lines += [f"## {heading}: {_title(section, report.language)}", ""]
            by_theme: dict[str, list] = {}
            for quote in section.quotes:
                by_theme.setdefault(quote.theme_label or gettext("Not coded"), []).append(quote)
            for label, quotes in by_theme.items():
                lines += [f"### {label}", ""]
                for quote in quotes:
                    text = quote.text.replace("<", "&lt;")
                    lines += [f"> «{text}»" if report.language == "es" else f"> “{text}”",
                              f"> — {quote.citation}", ""]
        return "\n".join(lines).rstrip() + "\n"


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(QUOTE_COLUMNS)
    for section in report.questions:
        for quote in section.quotes:
            writer.writerow([section.position, safe_cell(_title(section, report.language)), quote.theme or "",
                             safe_cell(quote.theme_label or ""), quote.language, quote.post_id,
                             safe_cell(quote.citation), safe_cell(quote.text)])
    return out.getvalue()

"""Charts that carry the story and survive grey printing: each language has its own hatching
and a dark edge, every bar its value written on it.

- per guiding question, posts per theme in each forum, side by side;
- posts per week, per language;
- participants by country: every country up to 20; beyond, the top ones and a note of the
  rest (never one "other countries" bar that dwarfs every country).
"""
from __future__ import annotations

import io

from flask_babel import force_locale, gettext

from forum.i18n import country_name
from forum.services.report import quotes as q
from forum.services.report.common import language_names
from forum.services.synthesis_model import Report

MAX_COUNTRIES = 20
FILLS = ("#404040", "#d0d0d0", "#ffffff")
HATCHES = ("", "///", "..")
EDGE = "#000000"
DPI = 110


def charts(report: Report) -> dict[str, bytes]:
    """PNG images by key: "weeks", "countries" and "themes-<question>"."""
    images = {}
    with force_locale(report.language):
        images["weeks"] = _weeks(report)
        images["countries"] = _countries(report)
        for section in report.questions:
            items = q.question_posts(section)
            if any(item.themes for item in items):
                images[f"themes-{section.position}"] = _themes(report, items, q.theme_labels(section, items))
    return images


def _axes(width: float, height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)  # not pyplot: no global state, no GUI machinery
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _style(index: int) -> dict:
    return {"color": FILLS[index % 3], "hatch": HATCHES[index % 3], "edgecolor": EDGE, "linewidth": 0.8}


def _label(axes, bars, horizontal: bool = False) -> None:
    """The value on each bar, in black on a white box so it reads over any hatching."""
    values = [int(bar.get_width() if horizontal else bar.get_height()) for bar in bars]
    axes.bar_label(bars, labels=[str(v) if v else "" for v in values], padding=2, fontsize=7,
                   bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})


def _themes(report: Report, items, labels: dict[str, str]) -> bytes:
    """Horizontal bars, one group per theme (labels can be long), one bar per language."""
    counts = q.theme_counts(items)
    codes = list(labels)
    names = language_names(report.language)
    height = 0.42 * len(codes) * max(len(report.languages), 1) / 2 + 1.2
    figure, axes = _axes(6.4, max(height, 2.2))
    step = 0.8 / max(len(report.languages), 1)
    for index, f_lang in enumerate(report.languages):
        positions = [n + (index - (len(report.languages) - 1) / 2) * step for n in range(len(codes))]
        bars = axes.barh(positions, [counts[(c, f_lang)] for c in codes], height=step * 0.95,
                         label=names[f_lang].capitalize(), **_style(index))
        _label(axes, bars, horizontal=True)
    axes.set_yticks(range(len(codes)), [_wrap(labels[c]) for c in codes])
    axes.invert_yaxis()
    axes.set_xlabel(gettext("Posts"), fontsize=8)
    _integer(axes.xaxis)
    axes.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(figure)


def _weeks(report: Report) -> bytes:
    stats = report.statistics
    names = language_names(report.language)
    figure, axes = _axes(6.4, 2.9)
    weeks = [w for w, _ in stats.posts_per_week]
    bottom = [0] * len(weeks)
    for index, f_lang in enumerate(report.languages):
        values = [c.get(f_lang, 0) for _, c in stats.posts_per_week]
        axes.bar(range(len(weeks)), values, bottom=bottom, label=names[f_lang].capitalize(), **_style(index))
        bottom = [b + v for b, v in zip(bottom, values)]
    totals = axes.bar(range(len(weeks)), [0] * len(weeks), bottom=bottom, color="none")
    axes.bar_label(totals, labels=[str(b) if b else "" for b in bottom], padding=2, fontsize=7)
    axes.set_xticks(range(len(weeks)), [w.strftime("%d/%m") for w in weeks], fontsize=7,
                    rotation=45 if len(weeks) > 12 else 0)
    axes.set_ylabel(gettext("Posts"), fontsize=8)
    _integer(axes.yaxis)
    axes.legend(fontsize=8, frameon=False)
    return _png(figure)


def country_rows(report: Report) -> tuple[list[tuple[str, int]], str]:
    """(country, participants) for the chart, and the note that names what did not fit."""
    rows = [(country_name(c) if c else gettext("Not stated"), p) for c, p, _n in report.statistics.by_country]
    if len(rows) <= MAX_COUNTRIES:
        return rows, ""
    rest = rows[MAX_COUNTRIES - 1:]
    return rows[:MAX_COUNTRIES - 1], gettext(
        "And %(countries)d more countries, %(people)d participants in all (see the table).",
        countries=len(rest), people=sum(p for _, p in rest))


def _countries(report: Report) -> bytes:
    rows, note = country_rows(report)
    figure, axes = _axes(6.4, 0.8 + 0.26 * max(len(rows), 1) + (0.3 if note else 0))
    bars = axes.barh(range(len(rows)), [p for _, p in rows], height=0.7, **_style(0))
    _label(axes, bars, horizontal=True)
    axes.set_yticks(range(len(rows)), [name for name, _ in rows])
    axes.invert_yaxis()
    axes.set_xlabel(gettext("Participants"), fontsize=8)
    _integer(axes.xaxis)
    if note:
        figure.text(0.01, 0.01, note, fontsize=7, style="italic")
    return _png(figure, bottom=0.3 / (0.8 + 0.26 * len(rows) + 0.3) if note else None)


def _integer(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _wrap(label: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(label, width)) or label


def _png(figure, bottom: float | None = None) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    figure.tight_layout()
    if bottom:
        figure.subplots_adjust(bottom=max(figure.subplotpars.bottom, bottom + 0.08))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 3})
    return buffer.getvalue()

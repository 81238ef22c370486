"""The synthesis report as files: Word (DOCX), Markdown, CSV and JSON.

DOCX and Markdown are written from one outline (`outline()`: headings,
paragraphs, tables, charts, posts, in the report's order), so the two never
disagree; CSV and JSON carry the data behind it for researchers.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale, gettext, ngettext

from forum.i18n import country_name, sector_label
from forum.services import safe_cell
from forum.services.synthesis import GENDER_BUCKETS, PostItem, Report, author_line

FORMATS = ("docx", "md", "csv", "json", "quotes-md", "quotes-csv")
LANGUAGE_NAMES = {"es": {"es": "español", "en": "inglés"}, "en": {"es": "Spanish", "en": "English"}}


# --- the outline ---------------------------------------------------------------------

@dataclass
class Block:
    kind: str          # title, subtitle, heading, paragraph, note, table, chart, post, bullets, page_break
    text: str = ""
    level: int = 1
    rows: list | None = None        # table: header row first; bullets: items
    meta: str = ""                  # post: the attribution line


def _day(value: datetime | date | None, lang: str, zone: str | None = None) -> str:
    """A long date in the report's language; moments as the community's local day."""
    import zoneinfo

    from babel.dates import format_date

    if value is None:
        return ""
    if isinstance(value, datetime) and zone:
        value = value.astimezone(zoneinfo.ZoneInfo(zone))
    return format_date(value, "long", locale=lang)


def _gender_labels() -> list[str]:
    return [gettext("Women"), gettext("Men"), gettext("Other"), gettext("Not stated")]


def outline(report: Report) -> list[Block]:
    lang = report.language
    with force_locale(lang):
        return list(_outline(report, lang))


def _outline(report: Report, lang: str):
    names = LANGUAGE_NAMES[lang]
    yield Block("title", report.title)
    yield Block("subtitle", report.community)
    for forum_lang, title in report.forum_titles.items():
        yield Block("subtitle", gettext("Forum in %(language)s: %(title)s", language=names[forum_lang], title=title))
    yield Block("subtitle", gettext("From %(start)s to %(end)s", start=_day(report.opens_at, lang, report.timezone),
                                    end=_day(report.closes_at, lang, report.timezone)))
    start, end = report.period
    if start or end:
        yield Block("subtitle", gettext("Posts included: from %(start)s to %(end)s",
                                        start=_day(start, lang) or "…", end=_day(end, lang) or "…"))
    choices = [gettext("authors anonymised") if report.anonymised else gettext("authors named when they agreed"),
               gettext("highlighted posts only") if report.highlights_only else gettext("all published posts")]
    yield Block("subtitle", gettext("Draft generated on %(date)s; %(choices)s.", date=_day(report.generated_at, lang, report.timezone),
                                    choices="; ".join(choices)))
    yield Block("page_break")

    note = report.concept_notes.get(lang) or next(iter(report.concept_notes.values()), "")
    if note:
        yield Block("heading", gettext("Concept note"), level=1)
        yield Block("markdown", note)

    yield from _statistics(report, lang)

    for section in report.questions:
        title = section.titles.get(lang) or next(iter(section.titles.values()), "")
        yield Block("heading", gettext("Guiding question %(n)d: %(title)s", n=section.position, title=title), level=1)
        for other_lang, other_title in section.titles.items():
            if other_lang != lang:
                yield Block("note", gettext("In %(language)s: %(title)s", language=names[other_lang], title=other_title))
        yield Block("note", ngettext("%(num)d post", "%(num)d posts", section.post_count))
        yield Block("heading", gettext("Moderators' synthesis"), level=2)
        written = [(n_lang, text) for n_lang, text in section.note.items() if text.strip()]
        if written:
            for n_lang, text in sorted(written, key=lambda item: item[0] != lang):
                if len(written) > 1:
                    yield Block("note", names[n_lang].capitalize())
                yield Block("markdown", text)
        else:
            yield Block("note", gettext("The moderators have not written a synthesis of this question yet."))
        yield from _comparison(section, report)
        terms = [t for terms in section.key_terms.values() for t in terms]
        if terms:
            yield Block("heading", gettext("Key terms (extracted automatically)"), level=2)
            yield Block("note", gettext("Words and pairs of words found automatically in what participants "
                                        "wrote, with how many participants used each: a help for the writer, "
                                        "not a finding."))
            for t_lang, found in section.key_terms.items():
                if found:
                    yield Block("paragraph", f"{names[t_lang].capitalize()}: " + " · ".join(
                        f"{term} ({people})" for term, people in found))
        printed: dict[int, str] = {}
        if section.highlights:
            yield Block("heading", gettext("Highlighted posts"), level=2)
            for item in section.highlights:
                printed[item.id] = gettext("Highlighted posts")
                yield _post(item, lang, report.timezone)
        if section.themes:
            yield Block("heading", gettext("Posts by theme"), level=2)
            yield Block("table", rows=[[gettext("Theme"), gettext("Posts")]]
                        + [[group.label, str(len(group.posts))] for group in section.themes])
            for group in section.themes:
                yield Block("heading", f"{group.label} ({len(group.posts)})", level=3)
                for item in group.posts:
                    if item.id in printed:  # a post with several themes is printed once, then referred to
                        yield Block("note", gettext("%(author)s, %(date)s: see “%(theme)s” above.",
                                                    author=item.author.label,
                                                    date=_day(item.created_at, lang, report.timezone),
                                                    theme=printed[item.id]))
                    else:
                        printed[item.id] = group.label
                        yield _post(item, lang, report.timezone)
        if section.remaining:
            yield Block("heading", gettext("Other posts, in date order"), level=2)
            for item in section.remaining:
                yield _post(item, lang, report.timezone)

    if report.other_threads:
        yield Block("heading", gettext("Other threads"), level=1)
        for item in report.other_threads:
            yield _post(item, lang, report.timezone, with_thread=True)

    if report.consultations:
        yield Block("heading", gettext("Polls and votes"), level=1)
        for title, rows in report.consultations:
            yield Block("heading", title, level=2)
            yield Block("table", rows=rows)

    yield Block("heading", gettext("Participating institutions by country"), level=1)
    if report.institutions:
        for code, institutions in report.institutions:
            yield Block("heading", country_name(code) if code else gettext("Country not stated"), level=3)
            yield Block("bullets", rows=institutions)
    else:
        yield Block("note", gettext("No named participant shows an institution."))

    if report.webinar is not None:
        webinar = report.webinar
        yield Block("heading", gettext("Closing webinar"), level=1)
        yield Block("paragraph", f"{webinar.title} · {_day(webinar.starts_at, lang, report.timezone)}")
        yield Block("table", rows=[[""] + _gender_labels() + [gettext("Total")],
                                   [gettext("Registered")] + [str(webinar.registered[b]) for b in GENDER_BUCKETS]
                                   + [str(sum(webinar.registered.values()))],
                                   [gettext("Attended")] + [str(webinar.attended[b]) for b in GENDER_BUCKETS]
                                   + [str(sum(webinar.attended.values()))]])
        if webinar.recording_url:
            yield Block("paragraph", gettext("Recording: %(url)s", url=webinar.recording_url))


def _comparison(section, report: Report):
    """Spanish and English side by side: each theme's posts and share of the question in each language,
    then the themes one language raises and the other does not."""
    if len(report.languages) < 2 or not any(sum(r.posts.values()) for r in section.comparison):
        return
    names = LANGUAGE_NAMES[report.language]
    yield Block("heading", gettext("Spanish and English side by side"), level=2)
    header = [gettext("Theme")] + [f"{names[lang].capitalize()}" for lang in report.languages]
    rows = [header] + [[row.label] + [f"{row.posts[lang]} ({row.shares[lang]:.0%})" for lang in report.languages]
                       for row in section.comparison]
    totals = [gettext("Posts in the question")] + [str(section.posts_by_language.get(lang, 0))
                                                    for lang in report.languages]
    yield Block("table", rows=rows + [totals])
    for row in section.comparison:
        if row.gap == "absent":
            other = next(lang for lang in report.languages if lang != row.gap_language)
            yield Block("paragraph", gettext("“%(theme)s” comes up in the %(here)s forum (%(n)d posts) and not at "
                                             "all in the %(there)s forum.", theme=row.label, n=row.posts[other],
                                             here=names[other], there=names[row.gap_language]))
        elif row.gap == "stronger":
            other = next(lang for lang in report.languages if lang != row.gap_language)
            yield Block("paragraph", gettext("“%(theme)s” weighs more in the %(here)s forum (%(a).0f%% of its posts) "
                                             "than in the %(there)s forum (%(b).0f%%).", theme=row.label,
                                             here=names[row.gap_language], there=names[other],
                                             a=100 * row.shares[row.gap_language], b=100 * row.shares[other]))


def _statistics(report: Report, lang: str):
    stats = report.statistics
    names = LANGUAGE_NAMES[lang]
    yield Block("heading", gettext("Participation"), level=1)
    yield Block("table", rows=[[gettext("Forum"), gettext("Participants"), gettext("Posts")]]
                + [[names[f_lang].capitalize(), str(stats.participants_by_language.get(f_lang, 0)),
                    str(stats.posts_by_language.get(f_lang, 0))] for f_lang in report.languages]
                + [[gettext("Total"), str(stats.participants), str(stats.posts)]])
    yield Block("note", gettext("A person who wrote in both forums counts once in the total."))
    if report.highlights_only:
        yield Block("note", gettext("These statistics count every published post, not only the highlights."))
    yield Block("heading", gettext("Participants by sex/gender"), level=2)
    yield Block("table", rows=[_gender_labels() + [gettext("Total")],
                               [str(stats.by_gender.get(b, 0)) for b in GENDER_BUCKETS] + [str(stats.participants)]])
    yield Block("heading", gettext("Participants by country"), level=2)
    yield Block("table", rows=[[gettext("Country"), gettext("Participants"), gettext("Posts")]]
                + [[country_name(c) if c else gettext("Not stated"), str(p), str(n)] for c, p, n in stats.by_country])
    yield Block("chart", "countries")
    yield Block("heading", gettext("Participants by sector"), level=2)
    yield Block("table", rows=[[gettext("Sector"), gettext("Participants"), gettext("Posts")]]
                + [[sector_label(s) if s else gettext("Not stated"), str(p), str(n)] for s, p, n in stats.by_sector])
    yield Block("heading", gettext("Posts per week"), level=2)
    yield Block("table", rows=[[gettext("Week of")] + [names[f].capitalize() for f in report.languages]
                               + [gettext("Total")]]
                + [[_day(week, lang)] + [str(counts.get(f, 0)) for f in report.languages] + [str(sum(counts.values()))]
                   for week, counts in stats.posts_per_week])
    yield Block("chart", "weeks")
    if stats.most_useful:
        yield Block("heading", gettext("Posts marked most useful"), level=2)
        for item in stats.most_useful:
            yield _post(item, lang, report.timezone)


def _post(item: PostItem, lang: str, zone: str, with_thread: bool = False) -> Block:
    names = LANGUAGE_NAMES[lang]
    parts = [author_line(item.author, lang), _day(item.created_at, lang, zone), names[item.language]]
    if item.useful:
        parts.append(ngettext("%(num)d useful mark", "%(num)d useful marks", item.useful))
    if with_thread:
        parts.insert(0, item.thread_title)
    return Block("post", item.text, meta=" · ".join(p for p in parts if p))


# --- charts ----------------------------------------------------------------------------------

def charts(report: Report) -> dict[str, bytes]:
    """PNG images that read well printed in grey: posts per week, participants by country."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    lang = report.language
    names = LANGUAGE_NAMES[lang]
    images = {}
    with force_locale(lang):
        stats = report.statistics
        figure, axes = plt.subplots(figsize=(6.4, 2.8), dpi=150)
        weeks = [w for w, _ in stats.posts_per_week]
        bottom = [0] * len(weeks)
        for index, f_lang in enumerate(report.languages):
            values = [c.get(f_lang, 0) for _, c in stats.posts_per_week]
            axes.bar(range(len(weeks)), values, bottom=bottom, color=("#3b6e8f", "#b7c9d6")[index % 2],
                     edgecolor="#1f2933", linewidth=0.4, hatch=("", "//")[index % 2], label=names[f_lang].capitalize())
            bottom = [b + v for b, v in zip(bottom, values)]
        axes.set_xticks(range(len(weeks)), [w.strftime("%d/%m") for w in weeks], fontsize=7, rotation=45)
        axes.set_title(gettext("Posts per week"), fontsize=10)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(fontsize=7, frameon=False)
        images["weeks"] = _png(figure)

        rows = [(country_name(c) if c else gettext("Not stated"), p) for c, p, _n in stats.by_country]
        if len(rows) > 12:
            rows = rows[:11] + [(gettext("Other countries"), sum(p for _, p in rows[11:]))]
        figure, axes = plt.subplots(figsize=(6.4, 0.6 + 0.28 * max(len(rows), 1)), dpi=150)
        axes.barh([r[0] for r in rows][::-1], [r[1] for r in rows][::-1], color="#3b6e8f")
        for y, value in enumerate([r[1] for r in rows][::-1]):
            axes.text(value, y, f" {value}", va="center", fontsize=7)
        axes.set_title(gettext("Participants by country"), fontsize=10)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.tick_params(labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        images["countries"] = _png(figure)
    return images


def _png(figure) -> bytes:
    from matplotlib import pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


# --- DOCX ---------------------------------------------------------------------------------------

def to_docx(report: Report) -> bytes:
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2.2)
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    document.core_properties.title = report.title
    document.core_properties.language = report.language
    styles = _report_styles(document)
    _page_numbers(section, report.title)
    images = charts(report)
    for block in outline(report):
        if block.kind == "title":
            _paragraph(document, block.text, styles["Title"])
        elif block.kind == "subtitle":
            _paragraph(document, block.text, styles["Subtitle"])
        elif block.kind == "page_break":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif block.kind == "heading":
            _paragraph(document, block.text, styles[f"Heading {block.level}"])
        elif block.kind == "paragraph":
            _paragraph(document, block.text, styles["Normal"])
        elif block.kind == "note":
            _paragraph(document, block.text, styles["Report note"])
        elif block.kind == "markdown":
            _markdown(document, block.text, styles)
        elif block.kind == "bullets":
            for item in block.rows or []:
                _paragraph(document, item, styles["List Bullet"])
        elif block.kind == "table":
            _table(document, block.rows or [])
        elif block.kind == "chart" and block.text in images:
            document.add_picture(io.BytesIO(images[block.text]), width=Cm(15.5))
        elif block.kind == "post":
            _paragraph(document, block.meta, styles["Post author"])
            for paragraph in _paragraphs(block.text):
                _paragraph(document, paragraph, styles["Post text"])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _report_styles(document) -> dict:
    """The styles the report uses, looked up once (python-docx searches by name on every use)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Cm, Pt, RGBColor

    note = document.styles.add_style("Report note", WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = document.styles["Normal"]
    note.font.italic = True
    note.font.color.rgb = RGBColor(0x52, 0x60, 0x6D)
    author = document.styles.add_style("Post author", WD_STYLE_TYPE.PARAGRAPH)
    author.base_style = document.styles["Normal"]
    author.font.bold = True
    author.font.size = Pt(9)
    author.font.color.rgb = RGBColor(0x0B, 0x4F, 0x6C)
    author.paragraph_format.space_before = Pt(8)
    author.paragraph_format.keep_with_next = True
    text = document.styles.add_style("Post text", WD_STYLE_TYPE.PARAGRAPH)
    text.base_style = document.styles["Normal"]
    text.paragraph_format.left_indent = Cm(0.5)
    names = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "List Number",
             "Quote", "Report note", "Post author", "Post text")
    return {name: document.styles[name] for name in names}


def _paragraph(document, text: str, style) -> None:
    """A paragraph built as XML and put before the section properties directly: python-docx's
    add_paragraph searches all the body's children each time, which is quadratic over a
    report of thousands of posts, and adds text a character at a time."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = OxmlElement("w:p")
    properties = OxmlElement("w:pPr")
    style_ref = OxmlElement("w:pStyle")
    style_ref.set(qn("w:val"), style.style_id)
    properties.append(style_ref)
    paragraph.append(properties)
    run = OxmlElement("w:r")
    node = OxmlElement("w:t")
    node.set(qn("xml:space"), "preserve")
    node.text = _xml_safe(text)
    run.append(node)
    paragraph.append(run)
    document.element.body.sectPr.addprevious(paragraph)


_XML_INVALID = re.compile("[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _xml_safe(text: str) -> str:
    """XML 1.0 refuses control characters, U+FFFE/U+FFFF and lone surrogates; a post could carry any."""
    return _XML_INVALID.sub("", text)


def _paragraphs(text: str) -> list[str]:
    """A post's plain text as paragraphs: blank lines split, single line breaks are just wrapping."""
    return [" ".join(chunk.split()) for chunk in text.split("\n\n") if chunk.strip()] or [""]


def _table(document, rows: list[list[str]]) -> None:
    """A table whose header row repeats on each page and whose rows never split across pages."""
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    if not rows:
        return
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Light Grid Accent 1"
    for r, row in enumerate(rows):
        properties = table.rows[r]._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))
        if r == 0:
            properties.append(OxmlElement("w:tblHeader"))
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = _xml_safe(str(value))
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = r < len(rows) - 1
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    document.add_paragraph()


def _markdown(document, text: str, styles: dict) -> None:
    """Concept notes and synthesis notes: headings, lists, quotes and paragraphs, as Word styles."""
    for chunk in [c for c in text.replace("\r\n", "\n").split("\n\n") if c.strip()]:
        lines = chunk.strip().split("\n")
        first = lines[0]
        if first.startswith("#"):
            level = min(len(first) - len(first.lstrip("#")), 3)
            _paragraph(document, first.lstrip("#").strip(), styles[f"Heading {min(level + 1, 3)}"])
            lines = lines[1:]
            if not lines:
                continue
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            for line in lines:
                _paragraph(document, _inline(line.lstrip()[2:]), styles["List Bullet"])
        elif all(line.lstrip()[:1].isdigit() and ". " in line[:5] for line in lines):
            for line in lines:
                _paragraph(document, _inline(line.split(". ", 1)[1]), styles["List Number"])
        elif all(line.startswith(">") for line in lines):
            _paragraph(document, _inline(" ".join(line.lstrip("> ") for line in lines)), styles["Quote"])
        else:
            _paragraph(document, _inline(" ".join(lines)), styles["Normal"])


def _inline(text: str) -> str:
    """Markdown emphasis and links as plain words: [text](url) becomes “text (url)”."""
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    return re.sub(r"(\*\*|\*)(\S.*?\S|\S)\1", r"\2", text)  # not _: it is common in addresses


def _page_numbers(section, title: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph = section.footer.paragraphs[0]
    run = paragraph.add_run(f"{title} · ")
    run.font.size = Pt(8)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    number.append(text)
    field.append(number)
    paragraph._p.append(field)


# --- Markdown --------------------------------------------------------------------------------------

def to_markdown(report: Report) -> str:
    out: list[str] = []
    for block in outline(report):
        if block.kind == "title":
            out.append(f"# {block.text}\n")
        elif block.kind == "subtitle":
            out.append(f"**{block.text}**  ")
        elif block.kind == "page_break":
            out.append("\n---\n")
        elif block.kind == "heading":
            out.append(f"\n{'#' * (block.level + 1)} {block.text}\n")
        elif block.kind == "paragraph":
            out.append(_md_escape(block.text.strip()) + "\n")
        elif block.kind == "markdown":  # the organizers' own Markdown, its headings under the report's
            out.append(re.sub(r"^(#{1,4}) ", lambda m: "#" * min(len(m.group(1)) + 3, 6) + " ",
                              block.text.strip(), flags=re.MULTILINE) + "\n")
        elif block.kind == "note":
            out.append(f"*{block.text}*\n")
        elif block.kind == "bullets":
            out.extend(f"- {item}" for item in block.rows or [])
            out.append("")
        elif block.kind == "table":
            rows = block.rows or []
            if rows:
                out.append("| " + " | ".join(_cell(c) for c in rows[0]) + " |")
                out.append("|" + "|".join(" --- " for _ in rows[0]) + "|")
                out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows[1:])
                out.append("")
        elif block.kind == "post":
            out.append(f"**{_md_escape(block.meta)}**\n")
            out.append("\n>\n".join("> " + _md_escape(p) for p in _paragraphs(block.text)) + "\n")
    return "\n".join(out).strip() + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def _md_escape(text: str) -> str:
    """Members' text as literal Markdown: no HTML, no headings, no emphasis it did not have."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _cell(value: str) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


# --- CSV and JSON ------------------------------------------------------------------------------------

POST_COLUMNS = ("post_id", "url", "forum_language", "question", "thread_title", "created_at_utc", "author",
                "author_number", "named", "country", "institution", "sector", "highlight", "useful_marks",
                "themes", "reply_to", "text")
PARTICIPANT_COLUMNS = ("author_number", "author", "named", "country", "institution", "sector", "languages",
                       "posts", "highlighted_posts", "useful_marks", "first_post_utc", "last_post_utc")


def _all_posts(report: Report) -> list[PostItem]:
    seen, items = set(), []
    for section in report.questions:
        for item in section.highlights + [p for g in section.themes for p in g.posts] + section.remaining:
            if item.id not in seen:
                seen.add(item.id)
                items.append(item)
    items.extend(i for i in report.other_threads if i.id not in seen)
    return sorted(items, key=lambda i: (i.created_at, i.id))


def posts_csv(report: Report) -> str:
    """One row per post, every field a researcher would want; column names stay in English."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(POST_COLUMNS)
    for item in _all_posts(report):
        a = item.author
        writer.writerow([item.id, item.url, item.language, item.question or "", safe_cell(item.thread_title),
                         item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), safe_cell(a.label), a.number, int(a.named),
                         a.country or "", safe_cell(a.institution or ""), a.sector or "", int(item.highlight),
                         item.useful, ";".join(item.themes), item.reply_to or "", safe_cell(item.text)])
    return out.getvalue()


def participants_csv(report: Report) -> str:
    people: dict[int, dict] = {}
    for item in _all_posts(report):
        a = item.author
        row = people.setdefault(a.number, {"author": a, "languages": set(), "posts": 0, "highlighted": 0,
                                           "useful": 0, "first": item.created_at, "last": item.created_at})
        row["languages"].add(item.language)
        row["posts"] += 1
        row["highlighted"] += int(item.highlight)
        row["useful"] += item.useful
        row["first"], row["last"] = min(row["first"], item.created_at), max(row["last"], item.created_at)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PARTICIPANT_COLUMNS)
    for number in sorted(people):
        row, a = people[number], people[number]["author"]
        writer.writerow([a.number, safe_cell(a.label), int(a.named), a.country or "", safe_cell(a.institution or ""),
                         a.sector or "",
                         ";".join(sorted(row["languages"])), row["posts"], row["highlighted"], row["useful"],
                         row["first"].strftime("%Y-%m-%dT%H:%M:%SZ"), row["last"].strftime("%Y-%m-%dT%H:%M:%SZ")])
    return out.getvalue()


def to_json(report: Report) -> str:
    """The whole structure (schema in the README), with ISO dates."""
    def default(value):
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        raise TypeError(type(value))

    data = dataclasses.asdict(report)
    data.pop("findings", None)  # the organizer's review list quotes what may identify people: never shared
    return json.dumps(data, default=default, ensure_ascii=False, indent=1)


def render(report: Report, fmt: str) -> dict[str, bytes]:
    """{suffix: content}: one file, or two for CSV (posts, and participants)."""
    if fmt == "quotes-md":
        from forum.services import quotes_sheet
        return {"": quotes_sheet.to_markdown(report).encode("utf-8")}
    if fmt == "quotes-csv":
        from forum.services import quotes_sheet
        return {"": quotes_sheet.to_csv(report).encode("utf-8-sig")}
    if fmt == "docx":
        return {"": to_docx(report)}
    if fmt == "md":
        return {"": to_markdown(report).encode("utf-8")}
    if fmt == "json":
        return {"": to_json(report).encode("utf-8")}
    if fmt == "csv":
        return {"": posts_csv(report).encode("utf-8-sig"), "-participants": participants_csv(report).encode("utf-8-sig")}
    raise ValueError(fmt)

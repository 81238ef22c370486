"""The Word document's frame: paper and margins, footer with page numbers, the report's styles
(grey-print friendly), its language and its core properties."""
from __future__ import annotations

from forum.services.report.common import language_tag
from forum.services.synthesis_model import Report

STYLE_NAMES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Caption",
               "TOC Heading", "Table Grid")


def page_setup(section, paper: tuple[float, float], title: str) -> None:
    from docx.shared import Cm

    section.page_width, section.page_height = Cm(paper[0]), Cm(paper[1])
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.3)
    _page_numbers(section, title)


def _page_numbers(section, title: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
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


def report_styles(document) -> dict[str, str]:
    """The styles the report uses, by name -> style id (the XML refers to ids)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Cm, Pt, RGBColor

    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    styles["Heading 1"].paragraph_format.page_break_before = True  # each chapter on a new page

    def add(style_name, base="Normal", kind=WD_STYLE_TYPE.PARAGRAPH, **font):
        style = styles.add_style(style_name, kind)
        if kind == WD_STYLE_TYPE.PARAGRAPH:
            style.base_style = styles[base]
        for key, value in font.items():
            if key == "color":
                style.font.color.rgb = value
            else:
                setattr(style.font, key, value)
        return style

    grey = RGBColor(0x40, 0x40, 0x40)
    add("Report note", italic=True, color=grey)
    author = add("Post author", bold=True, size=Pt(9), color=RGBColor(0x1F, 0x1F, 0x1F))
    author.paragraph_format.space_before = Pt(10)
    author.paragraph_format.space_after = Pt(0)
    reply = add("Post reply", italic=True, size=Pt(9), color=grey)
    reply.paragraph_format.space_after = Pt(2)
    text = add("Post text")
    text.paragraph_format.left_indent = Cm(0.5)
    text.paragraph_format.space_after = Pt(4)
    heading = add("Post heading", base="Post text", bold=True, size=Pt(11))
    heading.paragraph_format.space_before = Pt(6)
    quote = add("Post quote", base="Post text", italic=True, color=grey)
    quote.paragraph_format.left_indent = Cm(1.25)
    _left_border(quote)
    code = add("Post code", base="Post text", name="Consolas", size=Pt(9))
    code.paragraph_format.space_after = Pt(4)
    cell = add("Table text", size=Pt(9))
    cell.paragraph_format.space_after = Pt(0)
    cell.paragraph_format.left_indent = Cm(0)
    said = add("Report quote", italic=True, size=Pt(11))
    said.paragraph_format.left_indent = Cm(0.8)
    said.paragraph_format.space_after = Pt(0)
    _left_border(said)
    cited = add("Quote citation", size=Pt(9), color=grey)
    cited.paragraph_format.left_indent = Cm(0.8)
    cited.paragraph_format.space_after = Pt(8)
    link = add("Hyperlink", kind=WD_STYLE_TYPE.CHARACTER, underline=True, color=RGBColor(0x05, 0x3A, 0x7A))
    link.font.underline = True
    for level in (1, 2):
        toc = add(f"TOC {level}")
        toc.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        toc.paragraph_format.space_after = Pt(2)
        toc.font.bold = level == 1
    names = STYLE_NAMES + ("Report note", "Post author", "Post reply", "Post text", "Post heading", "Post quote",
                           "Post code", "Table text", "Report quote", "Quote citation", "Hyperlink", "TOC 1",
                           "TOC 2")
    return {name: styles[name].style_id for name in names}


def _left_border(style) -> None:
    from docx.oxml import parse_xml

    properties = style.element.get_or_add_pPr()
    properties.append(parse_xml(
        '<w:pBdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:left w:val="single" w:sz="12" w:space="8" w:color="808080"/></w:pBdr>'))


def set_language(document, tag: str) -> None:
    """Spell checking and hyphenation in the report's language: the defaults, and every style's own."""
    from docx.oxml.ns import qn

    for lang in document.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), tag)
    normal = document.styles["Normal"].element.get_or_add_rPr()
    if normal.find(qn("w:lang")) is None:
        from docx.oxml import OxmlElement

        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), tag)
        normal.append(lang)
    for lang in document.settings.element.iter(qn("w:themeFontLang")):
        lang.set(qn("w:val"), tag)


def set_properties(document, report: Report, author: str | None) -> None:
    """File > Properties: the report's title, the network as author (not "python-docx")."""
    from flask import current_app, has_app_context

    name = author or (current_app.config.get("SITE_NAME") if has_app_context() else None) or report.community
    properties = document.core_properties
    properties.title = report.title
    properties.author = properties.last_modified_by = name
    properties.subject = report.community
    properties.comments = ""
    properties.language = language_tag(report.language)
    properties.created = properties.modified = report.generated_at.replace(tzinfo=None)
    properties.revision = 1

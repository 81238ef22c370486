"""The report as a Word document: A4 or Letter, page numbers, a table of contents (a field
Word updates, with the headings already listed so it reads before the update), the report's
language on its styles, and the network as its author.

Blocks become XML text, parsed once and put in the body in one move (python-docx's object API,
which searches the whole body on each addition, is quadratic over a report of thousands of posts);
charts go in through python-docx at their place.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import quoteattr

from forum.services.report.common import (
    anchor,
    language_tag,
    markdown_tree,
    tree_of,
)
from forum.services.report.outline import Block, outline
from forum.services.report.word_markup import (
    MarkupWriter,
    Numbering,
    WordContext,
    paragraph,
    text_run,
)
from forum.services.synthesis import Report

PAPERS = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}  # centimetres
TOC_LEVELS = 1  # the chapters: the per-question sections repeat and would fill two pages
_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def to_docx(report: Report, paper: str = "a4", author: str | None = None) -> bytes:
    from docx import Document

    from forum.services.report.figures import charts
    from forum.services.report.word_setup import (
        page_setup,
        report_styles,
        set_language,
        set_properties,
    )

    if paper not in PAPERS:
        raise ValueError(paper)
    document = Document()
    page_setup(document.sections[0], PAPERS[paper], report.title)
    styles = report_styles(document)
    set_language(document, language_tag(report.language))
    set_properties(document, report, author)
    numbering = Numbering(document.part.numbering_part.element)
    ctx = WordContext(document.part, styles, numbering)
    blocks = outline(report)
    writer = _BlockWriter(document, ctx, report.language, charts(report))
    writer.write(blocks)
    writer.flush()
    _add_numbering(numbering)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _add_numbering(numbering: Numbering) -> None:
    from docx.oxml import parse_xml

    element = numbering.element
    definitions = parse_xml(f"<w:numbering {_NS}>{''.join(numbering.definitions())}</w:numbering>")
    first_num = element.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    for abstract in list(definitions):  # every abstractNum before the first num, as the schema wants
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            element.append(abstract)
    if numbering.added:
        for num in list(parse_xml(f"<w:numbering {_NS}>{''.join(numbering.added)}</w:numbering>")):
            element.append(num)


class _BlockWriter:
    def __init__(self, document, ctx: WordContext, lang: str, images: dict[str, bytes]):
        self.document, self.ctx, self.lang, self.images = document, ctx, lang, images
        self.styles = ctx.styles
        self.pending: list[str] = []
        self.headings: dict[int, str] = {}  # block index -> bookmark, for the table of contents

    def write(self, blocks: list[Block]) -> None:
        toc = [(index, block) for index, block in enumerate(blocks)
               if block.kind == "heading" and block.level <= TOC_LEVELS]
        self.headings = {index: f"_Toc{n:06d}" for n, (index, _block) in enumerate(toc, start=1)}
        for index, block in enumerate(blocks):
            if block.kind == "page_break":
                following = blocks[index + 1] if index + 1 < len(blocks) else None
                if following is None or (following.kind, following.level) != ("heading", 1):
                    self.pending.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
            elif block.kind == "toc":
                self._toc(block.text, [(self.headings[i], b) for i, b in toc])
            elif block.kind == "heading":
                self._heading(block, self.headings.get(index))
            elif block.kind == "chart":
                self._chart(block)
            else:
                self.pending.extend(self.block(block))

    def flush(self) -> None:
        from docx.oxml import parse_xml

        if not self.pending:
            return
        body = parse_xml(f"<w:body {_NS}>{''.join(self.pending)}</w:body>")
        sect = self.document.element.body.sectPr
        for child in list(body):
            sect.addprevious(child)
        self.pending = []

    def block(self, block: Block) -> list[str]:
        s = self.styles
        if block.kind in ("title", "subtitle"):
            return [paragraph(s[block.kind.capitalize()], text_run(block.text))]
        if block.kind == "paragraph":
            return [paragraph(s["Normal"], text_run(block.text))]
        if block.kind == "note":
            return [paragraph(s["Report note"], text_run(block.text))]
        if block.kind == "bullets":
            return [paragraph(s["List Bullet"], text_run(item)) for item in block.rows or []]
        if block.kind == "table":
            return [self._table(block.rows or [])] if block.rows else []
        if block.kind == "markdown":
            writer = MarkupWriter(self.ctx, self._lang(block.language), indent=0, style=s["Normal"])
            return writer.blocks(markdown_tree(block.text))
        if block.kind == "quote":
            return self._quote(block)
        if block.kind == "post":
            return self._post(block)
        return []

    def _lang(self, language: str) -> str:
        return language_tag(language) if language and language != self.lang else ""

    def _heading(self, block: Block, bookmark: str | None) -> None:
        style = self.styles[f"Heading {min(block.level, 3)}"]
        runs = text_run(block.text)
        if bookmark:
            start, end = self.ctx.bookmark(bookmark)
            runs = start + runs + end
        self.pending.append(paragraph(style, runs, keep_next=True))

    def _toc(self, title: str, entries: list[tuple[str, Block]]) -> None:
        """A TOC field whose last result is the list of headings, each a link to its heading."""
        s = self.styles
        self.pending.append(paragraph(s["TOC Heading"], text_run(title)))
        begin = ('<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
                 f'<w:r><w:instrText xml:space="preserve"> TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u </w:instrText></w:r>'
                 '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        if not entries:
            self.pending.append(paragraph(s["TOC 1"], begin + end))
            return
        for n, (bookmark, block) in enumerate(entries):
            link = f'<w:hyperlink w:anchor={quoteattr(bookmark)} w:history="1">{text_run(block.text)}</w:hyperlink>'
            runs = (begin if n == 0 else "") + link + (end if n == len(entries) - 1 else "")
            self.pending.append(paragraph(s[f"TOC {block.level}"], runs))

    def _chart(self, block: Block) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        image = self.images.get(block.meta)
        if image is None:
            return
        self.flush()
        picture = self.document.add_paragraph(style=self.document.styles["Normal"])
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True
        shape = picture.add_run().add_picture(io.BytesIO(image), width=Cm(15.5))
        shape._inline.docPr.set("descr", block.text)  # alternative text, for screen readers
        self.pending.append(paragraph(self.styles["Caption"], text_run(block.text)))

    def _table(self, rows: list[list[str]]) -> str:
        """A table whose header row repeats on each page, shaded grey, and whose rows never split."""
        columns = len(rows[0])
        # The first column holds labels (themes, countries): give it room when the others are numbers.
        first = 8800 // columns if columns < 3 else 8800 * 3 // (columns + 2)
        widths = [first] + [(8800 - first) // max(columns - 1, 1)] * (columns - 1)
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        out = [(f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.styles["Table Grid"]}"/><w:tblW w:w="0" w:type="auto"/>'
               f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
               f'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>')]
        for r, row in enumerate(rows):
            header = r == 0
            cells = []
            for c, value in enumerate(row):
                shade = '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>' if header else ""
                number = c > 0 and str(value).replace(" ", "").rstrip("%").isdigit()
                cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/>{shade}</w:tcPr>'
                             + paragraph(self.styles["Table text"], text_run(str(value), bold=header),
                                         jc="right" if number else "", keep_next=r < len(rows) - 1) + "</w:tc>")
            trpr = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "")
            out.append(f"<w:tr><w:trPr>{trpr}</w:trPr>{''.join(cells)}</w:tr>")
        out.append("</w:tbl>")
        return "".join(out) + paragraph(self.styles["Normal"], "")

    def _internal(self, target: str, text: str) -> str:
        run = text_run(text, self.styles["Hyperlink"])
        return f'<w:hyperlink w:anchor={quoteattr(target)} w:history="1">{run}</w:hyperlink>' if target \
            else text_run(text)

    def _quote(self, block: Block) -> list[str]:
        s = self.styles
        words = paragraph(s["Report quote"], text_run(f"“{block.text}”", lang=self._lang(block.language)),
                          keep_next=True)
        return [words, paragraph(s["Quote citation"], text_run("— ") + self._internal(block.target, block.meta))]

    def _post(self, block: Block) -> list[str]:
        s, item = self.styles, block.item
        start, end = self.ctx.bookmark(anchor(item.id))
        out = [paragraph(s["Post author"], start + text_run(block.meta) + end, keep_next=True)]
        if block.text:
            out.append(paragraph(s["Post reply"], self._internal(block.target, block.text), keep_next=True))
        out.extend(paragraph(s["Post reply"], text_run(note), keep_next=True) for note in block.notes)
        writer = MarkupWriter(self.ctx, self._lang(item.language), style=s["Post text"])
        out.extend(writer.blocks(tree_of(item)) or [paragraph(s["Post text"], "")])
        return out


"""Parsed Markdown (forum.markup's tree) as WordprocessingML: tables as Word tables, lists as
numbered or bulleted lists (each list restarts), quotes, emphasis, code, and links as real
hyperlinks. Written as XML text and parsed once per export: python-docx's object API is too
slow for a report of thousands of posts. Raw HTML is dropped, as the web page's sanitiser does.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from forum.markup import ALLOWED_PROTOCOLS, cell_alignment
from forum.services.report.common import inline_text, xml_safe

BODY_WIDTH = 8800      # twips (15.5 cm): the text width of an A4 or Letter page with the report's margins
POST_INDENT = 284      # twips (0.5 cm): a post's text sits under its attribution line
LIST_STEP = 360        # twips per list level
QUOTE_STEP = 425       # twips per quote level
_SAFE_URL = re.compile(r"(?i)^({}):".format("|".join(sorted(ALLOWED_PROTOCOLS))))


class WordContext:
    """What the XML refers to outside itself: styles, hyperlink relationships, list numbering, bookmarks."""

    def __init__(self, part, styles: dict[str, str], numbering: Numbering):
        self.part, self.styles, self.numbering = part, styles, numbering
        self._links: dict[str, str] = {}
        self._bookmarks = 0

    def link(self, url: str) -> str:
        if url not in self._links:
            from docx.opc.constants import RELATIONSHIP_TYPE as RT

            self._links[url] = self.part.relate_to(url, RT.HYPERLINK, is_external=True)
        return self._links[url]

    def bookmark(self, name: str) -> tuple[str, str]:
        self._bookmarks += 1
        n = self._bookmarks
        return f'<w:bookmarkStart w:id="{n}" w:name={quoteattr(name)}/>', f'<w:bookmarkEnd w:id="{n}"/>'


class Numbering:
    """Two list definitions (numbered, bulleted) and one list instance per Markdown list, so every
    numbered list starts again at its own first number."""

    def __init__(self, element):
        self.element = element
        ids = [int(x) for x in element.xpath("./w:abstractNum/@w:abstractNumId")] or [0]
        nums = [int(x) for x in element.xpath("./w:num/@w:numId")] or [0]
        self.ordered, self.bullet = max(ids) + 1, max(ids) + 2
        self.next_num = max(nums) + 1
        self.added: list[str] = []

    def new(self, ordered: bool, start: int = 1) -> int:
        num = self.next_num
        self.next_num += 1
        abstract = self.ordered if ordered else self.bullet
        override = (f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start}"/></w:lvlOverride>'
                    if ordered else "")
        self.added.append(f'<w:num w:numId="{num}"><w:abstractNumId w:val="{abstract}"/>{override}</w:num>')
        return num

    def definitions(self) -> list[str]:
        def levels(ordered: bool) -> str:
            out = []
            for level in range(9):
                kind, text = ("decimal", f"%{level + 1}.") if ordered else ("bullet", "•◦▪"[level % 3])
                left = POST_INDENT + LIST_STEP * (level + 1)
                out.append(f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{kind}"/>'
                           f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                           f'<w:pPr><w:ind w:left="{left}" w:hanging="{LIST_STEP}"/></w:pPr></w:lvl>')
            return "".join(out)

        return [(f'<w:abstractNum w:abstractNumId="{self.ordered}"><w:multiLevelType w:val="multilevel"/>'
                f'{levels(True)}</w:abstractNum>'),
                (f'<w:abstractNum w:abstractNumId="{self.bullet}"><w:multiLevelType w:val="multilevel"/>'
                f'{levels(False)}</w:abstractNum>')]


def text_run(text: str, style: str = "", bold=False, italic=False, code=False, sup=False, lang: str = "") -> str:
    """One run; properties in the order the schema requires."""
    props = []
    if style:
        props.append(f'<w:rStyle w:val="{style}"/>')
    if code:
        props.append('<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>')
    if bold:
        props.append("<w:b/>")
    if italic:
        props.append("<w:i/>")
    if sup:
        props.append('<w:vertAlign w:val="superscript"/>')
    if lang:
        props.append(f'<w:lang w:val="{lang}"/>')
    rpr = f"<w:rPr>{''.join(props)}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(xml_safe(text))}</w:t></w:r>'


def paragraph(style: str, runs: str, *, num: tuple[int, int] | None = None, left: int | None = None,
              jc: str = "", keep_next: bool = False, border: bool = False) -> str:
    props = [f'<w:pStyle w:val="{style}"/>']
    if keep_next:
        props.append("<w:keepNext/>")
    if num:
        props.append(f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>')
    if border:
        props.append('<w:pBdr><w:bottom w:val="single" w:sz="4" w:space="1" w:color="808080"/></w:pBdr>')
    if left is not None:
        props.append(f'<w:ind w:left="{left}"/>')
    if jc:
        props.append(f'<w:jc w:val="{jc}"/>')
    return f"<w:p><w:pPr>{''.join(props)}</w:pPr>{runs}</w:p>"


class MarkupWriter:
    """One post (or note) at a time: `blocks(tree)` gives its paragraphs and tables as XML."""

    def __init__(self, ctx: WordContext, lang: str = "", indent: int = POST_INDENT, style: str = "PostText"):
        self.ctx, self.lang, self.indent, self.style = ctx, lang, indent, style

    def blocks(self, node, quote: int = 0, lists: tuple = ()) -> list[str]:
        out: list[str] = []
        for child in node.children:
            out.extend(self.block(child, quote, lists))
        return out

    def block(self, node, quote: int, lists: tuple) -> list[str]:
        kind = node.type
        styles = self.ctx.styles
        left = self.indent + QUOTE_STEP * quote
        if kind == "paragraph":
            style = styles["Post quote"] if quote else self.style
            num = None
            if lists and lists[-1][2]:  # the first paragraph of a list item carries its number
                num = (lists[-1][0], len(lists) - 1)
                lists[-1][2] = False
            elif lists:
                left += LIST_STEP * len(lists)
            return [paragraph(style, self.runs(node.children[0]) if node.children else "", num=num,
                              left=None if num else left)]
        if kind == "heading":
            return [paragraph(styles["Post heading"], self.runs(node.children[0], bold=True), left=left,
                              keep_next=True)]
        if kind in ("bullet_list", "ordered_list"):
            ordered = kind == "ordered_list"
            num = self.ctx.numbering.new(ordered, int(node.attrs.get("start", 1)) if ordered else 1)
            out = []
            for item in node.children:
                state = [num, ordered, True]
                if not item.children or item.children[0].type != "paragraph":  # its number, even so
                    out.append(paragraph(self.style, "", num=(num, len(lists))))
                    state[2] = False
                out.extend(self.blocks(item, quote, lists + (state,)))
            return out
        if kind == "blockquote":
            return self.blocks(node, quote + 1, lists)
        if kind == "table":
            return [self.table(node, left)]
        if kind in ("fence", "code_block"):
            lines = node.content.rstrip("\n").split("\n")
            runs = '<w:r><w:br/></w:r>'.join(text_run(line, code=True) for line in lines)
            return [paragraph(styles["Post code"], runs, left=left)]
        if kind == "hr":
            return [paragraph(self.style, "", left=left, border=True)]
        if kind == "footnote_block":
            out = []
            for note in node.children:
                marker = text_run(f"[{note.meta.get('id', 0) + 1}] ", sup=False, lang=self.lang)
                inner = self.blocks(note, quote, lists)
                if inner:
                    inner[0] = inner[0].replace("</w:pPr>", "</w:pPr>" + marker, 1)
                out.extend(inner)
            return out
        if kind == "inline":
            return [paragraph(self.style, self.runs(node), left=left)]
        return self.blocks(node, quote, lists) if node.children else []

    def table(self, node, left: int) -> str:
        rows = [row for part in node.children for row in part.children]
        columns = max((len(row.children) for row in rows), default=1)
        width = max((BODY_WIDTH - left) // columns, 600)
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for _ in range(columns))
        out = [(f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.ctx.styles["Table Grid"]}"/><w:tblW w:w="0" w:type="auto"/>'
               f'<w:tblInd w:w="{left}" w:type="dxa"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" '
               f'w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>')]
        for index, row in enumerate(rows):
            header = row.parent.type == "thead"
            trpr = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "")
            cells = []
            for cell in row.children:
                shade = '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>' if header else ""
                align = cell_alignment(cell.attrs)
                runs = self.runs(cell.children[0], bold=header) if cell.children else ""
                cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
                             + paragraph(self.ctx.styles["Table text"], runs, jc=align,
                                         keep_next=index < len(rows) - 1) + "</w:tc>")
            cells.extend(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p/></w:tc>'
                         for _ in range(columns - len(row.children)))
            out.append(f"<w:tr><w:trPr>{trpr}</w:trPr>{''.join(cells)}</w:tr>")
        out.append("</w:tbl>")
        return "".join(out) + paragraph(self.style, "")  # two tables in a row would merge

    def runs(self, node, bold: bool = False) -> str:
        """The runs of an inline node: emphasis as run properties, links as hyperlinks."""
        out: list[str] = []
        self._inline(node, out, bold=bold, italic=False, link=None)
        return "".join(out)

    def _inline(self, node, out: list[str], bold: bool, italic: bool, link: list | None) -> None:
        skipping = None
        for child in node.children:
            kind = child.type
            if kind == "html_inline":
                opening = re.match(r"<(script|style)\b", child.content, re.IGNORECASE)
                skipping = opening.group(1).lower() if opening else (
                    None if skipping and child.content.lower().startswith(f"</{skipping}") else skipping)
                continue
            if skipping:
                continue
            style = self.ctx.styles["Hyperlink"] if link is not None else ""
            if kind in ("text", "mention"):
                out.append(text_run(child.content, style, bold, italic, lang=self.lang))
            elif kind == "code_inline":
                out.append(text_run(child.content, style, bold, italic, code=True, lang=self.lang))
            elif kind == "softbreak":
                out.append(text_run(" ", style, lang=self.lang))
            elif kind == "hardbreak":
                out.append("<w:r><w:br/></w:r>")
            elif kind in ("strong", "em"):
                self._inline(child, out, bold or kind == "strong", italic or kind == "em", link)
            elif kind in ("link", "image"):
                self._link(child, out, bold, italic, link)
            elif kind == "footnote_ref":
                out.append(text_run(f"[{child.meta.get('id', 0) + 1}]", sup=True))
            elif child.children:
                self._inline(child, out, bold, italic, link)

    def _link(self, node, out: list[str], bold: bool, italic: bool, link: list | None) -> None:
        url = node.attrs.get("href") or node.attrs.get("src") or ""
        if link is not None or not _SAFE_URL.match(url):  # as the sanitiser does: keep the words only
            self._inline(node, out, bold, italic, link)
            return
        inner: list[str] = []
        if node.type == "image":
            inner.append(text_run(inline_text(node) or url, self.ctx.styles["Hyperlink"], bold, italic))
        else:
            self._inline(node, inner, bold, italic, [url])
        out.append(f'<w:hyperlink r:id="{self.ctx.link(url)}" w:history="1">{"".join(inner)}</w:hyperlink>')

"""The report as Markdown: the same outline as the Word file; each post keeps its own Markdown
(headings moved below the report's), has an anchor, and links to the post it answers."""
from __future__ import annotations

from forum.services.report.common import markdown_tree, tree_of
from forum.services.report.markdown_markup import escape_text
from forum.services.report.markdown_markup import to_markdown as markup
from forum.services.report.outline import Block, outline
from forum.services.synthesis_model import Report


def to_markdown(report: Report) -> str:
    out: list[str] = []
    blocks = outline(report)
    for block in blocks:
        out.append(_block(block, blocks))
    return "\n\n".join(part for part in out if part).strip() + "\n"


def _block(block: Block, blocks: list[Block]) -> str:
    kind = block.kind
    if kind == "title":
        return f"# {escape_text(block.text)}"
    if kind == "subtitle":
        return f"**{escape_text(block.text)}**"
    if kind == "page_break":
        return "---"
    if kind == "toc":
        entries = [b for b in blocks if b.kind == "heading" and b.level == 1]
        return f"**{escape_text(block.text)}**\n\n" + "\n".join(
            f"{'  ' * (b.level - 1)}- [{escape_text(b.text)}](#{heading_id(b.text)})" for b in entries)
    if kind == "heading":
        return f"{'#' * (block.level + 1)} {escape_text(block.text)}"
    if kind == "paragraph":
        return escape_text(block.text.strip())
    if kind == "note":
        return f"*{escape_text(block.text)}*"
    if kind == "markdown":  # the organizers' own Markdown, its headings under the report's
        return markup(markdown_tree(block.text), heading_level=4)
    if kind == "bullets":
        return "\n".join(f"- {escape_text(item)}" for item in block.rows or [])
    if kind == "table":
        return _table(block.rows or [])
    if kind == "quote":
        source = escape_text(block.meta)
        cited = f"[{source}](#{block.target})" if block.target else source
        return f"> “{escape_text(block.text)}”\n>\n> — {cited}"
    if kind == "post":
        return _post(block)
    return ""


def _post(block: Block) -> str:
    lines = [f'<a id="{block.item and _anchor(block)}"></a>', f"**{escape_text(block.meta)}**"]
    if block.text:
        replied = escape_text(block.text)
        lines.append(f"*[{replied}](#{block.target})*" if block.target else f"*{replied}*")
    lines.extend(f"*{escape_text(note)}*" for note in block.notes)
    body = markup(tree_of(block.item), heading_level=5)
    return "  \n".join(lines) + ("\n\n" + body if body else "")


def _anchor(block: Block) -> str:
    from forum.services.report.common import anchor

    return anchor(block.item.id)


def heading_id(text: str) -> str:
    """The id GitHub-style renderers give a heading: lower case, punctuation dropped, spaces as hyphens."""
    import re

    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text.lower()).strip())


def _table(rows: list[list[str]]) -> str:
    if not rows:
        return ""

    def cell(value) -> str:
        return escape_text(str(value)).replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in rows[0]) + " |", "|" + "|".join(" --- " for _ in rows[0]) + "|"]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows[1:])
    return "\n".join(lines)

"""Parsed Markdown written back as Markdown, for the Markdown report: the post's own tables,
lists (with their numbers), quotes, emphasis and links, its headings moved below the report's
(a post's "# x" must not open a chapter), its raw HTML dropped and its text escaped so that
nothing becomes markup it was not."""
from __future__ import annotations

import re

from forum.markup import ALLOWED_PROTOCOLS, cell_alignment

_SPECIAL = re.compile(r"([\\`*_\[\]#|~<>])")
_SAFE_URL = re.compile(r"(?i)^({}):".format("|".join(sorted(ALLOWED_PROTOCOLS))))
_NUMBER_START = re.compile(r"^(\s*)(\d+)([.)])", re.MULTILINE)
_LINE_START = re.compile(r"^(\s*)([-+=])", re.MULTILINE)


def escape_text(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))


def _paragraph(text: str) -> str:
    """A paragraph's lines never start a list, a heading underline or a numbered item ("1999. was")."""
    return _LINE_START.sub(r"\1\\\2", _NUMBER_START.sub(r"\1\2\\\3", text))


def to_markdown(tree, heading_level: int = 5) -> str:
    """The tree as Markdown; the post's first heading level (h2 on the web page) becomes `heading_level`."""
    return "\n\n".join(b for b in (_block(child, heading_level) for child in tree.children) if b).strip()


def _blocks(node, heading_level: int) -> str:
    return "\n\n".join(b for b in (_block(child, heading_level) for child in node.children) if b)


def _block(node, heading_level: int) -> str:
    kind = node.type
    if kind == "paragraph":
        return _paragraph(_inline(node.children[0])) if node.children else ""
    if kind == "heading":
        level = min(heading_level + int(node.tag[1]) - 2, 6)
        return "#" * level + " " + _inline(node.children[0]).replace("\n", " ")
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, heading_level)
    if kind == "blockquote":
        inner = _blocks(node, heading_level)
        return "\n".join(("> " + line) if line else ">" for line in inner.split("\n"))
    if kind == "table":
        return _table(node)
    if kind in ("fence", "code_block"):
        content = node.content.rstrip("\n")
        fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
        info = node.info.split()[0] if kind == "fence" and node.info.strip() else ""
        return f"{fence}{info}\n{content}\n{fence}"
    if kind == "hr":
        return "* * *"
    if kind == "footnote_block":
        notes = []
        for note in node.children:
            body = _blocks(note, heading_level).replace("\n", "\n    ")
            notes.append(f"[^{note.meta.get('id', 0) + 1}]: {body}")
        return "\n".join(notes)
    if kind == "inline":
        return _inline(node)
    return _blocks(node, heading_level) if node.children else ""


def _list(node, heading_level: int) -> str:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    tight = all(len(item.children) <= 1 or all(c.type != "paragraph" for c in item.children[1:])
                for item in node.children)
    items = []
    for n, item in enumerate(node.children):
        marker = f"{start + n}. " if ordered else "- "
        parts = (_block(child, heading_level) for child in item.children)
        body = ("\n" if tight else "\n\n").join(part for part in parts if part)
        pad = " " * len(marker)
        lines = body.split("\n") if body else [""]
        items.append(marker + lines[0] + "".join("\n" + (pad + line if line else "") for line in lines[1:]))
    return ("\n" if tight else "\n\n").join(items)


def _table(node) -> str:
    rows = [row for part in node.children for row in part.children]
    if not rows:
        return ""
    header = rows[0]
    columns = len(header.children)

    def line(row) -> str:
        cells = [_inline(cell.children[0]).replace("\n", " ") if cell.children else "" for cell in row.children]
        cells += [""] * (columns - len(cells))
        return "| " + " | ".join(cells[:columns]) + " |"

    aligns = {"left": ":---", "center": ":---:", "right": "---:"}
    rule = "| " + " | ".join(aligns.get(cell_alignment(c.attrs), "---") for c in header.children) + " |"
    return "\n".join([line(header), rule] + [line(row) for row in rows[1:]])


def _inline(node) -> str:
    out: list[str] = []
    skipping = None
    for child in node.children:
        kind = child.type
        if kind == "html_inline":  # dropped, as the sanitiser drops tags; script and style with their content
            opening = re.match(r"<(script|style)\b", child.content, re.IGNORECASE)
            skipping = opening.group(1).lower() if opening else (
                None if skipping and child.content.lower().startswith(f"</{skipping}") else skipping)
            continue
        if skipping:
            continue
        if kind in ("text", "mention"):
            out.append(escape_text(child.content))
        elif kind == "code_inline":
            ticks = "`" * (max((len(run) for run in re.findall(r"`+", child.content)), default=0) + 1)
            pad = " " if child.content.startswith("`") or child.content.endswith("`") else ""
            out.append(f"{ticks}{pad}{child.content}{pad}{ticks}")
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\\\n")
        elif kind == "strong":
            out.append(f"**{_inline(child)}**")
        elif kind == "em":
            out.append(f"*{_inline(child)}*")
        elif kind in ("link", "image"):
            out.append(_link(child))
        elif kind == "footnote_ref":
            out.append(f"[^{child.meta.get('id', 0) + 1}]")
        elif child.children:
            out.append(_inline(child))
    return "".join(out)


def _link(node) -> str:
    url = node.attrs.get("href") or node.attrs.get("src") or ""
    text = _inline(node)
    if not _SAFE_URL.match(url):
        return text
    url = url.replace("<", "%3C").replace(">", "%3E")
    return f"[{text or escape_text(url)}](<{url}>)"  # an image as a link to it, as the web page can't show it

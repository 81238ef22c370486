"""What could still name someone in an exported text, and the rewriting that removes it.

An anonymised report replaces every member's display name and, for the people taking part,
their first name (so "Gracias, Jorge" and the app's "> — Jorge Pérez" quote lines lose the
name), drops a post's closing signature ("Saludos,\nJorge\nMunicipalidad de …"), and hides
e-mail addresses. `findings()` lists what is left that still looks like a name, a signature
or an address, so the organizer can read those posts before sharing the file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext

from forum.services.search_text import stopwords

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CLOSINGS = (r"saludos|un saludo|cordiales saludos|saludos cordiales|atentamente|cordialmente|un abrazo|abrazos|"
             r"gracias|muchas gracias|best|best regards|regards|kind regards|warm regards|cheers|thanks|"
             r"thank you|many thanks|sincerely|all the best")
_CLOSING_LINE = re.compile(rf"^\s*(?:{_CLOSINGS})\b[^\n]{{0,40}}$", re.IGNORECASE)
_NAME_LIKE = re.compile(r"(?<![\w.@])([A-ZÁÉÍÓÚÑÜ][a-záéíóúñü]+(?:\s+[A-ZÁÉÍÓÚÑÜ][a-záéíóúñü]+){1,2})\b")
# Words that start sentences in either language; a capitalised run is judged without them.
_LEADING = frozenset(stopwords("es") | stopwords("en"))
SIGNATURE_LINES = 3        # a signature is at most the last three short lines of a post
SIGNATURE_LINE_MAX = 90


@dataclass
class Finding:
    post_id: int
    kind: str            # "name", "signature" or "email"
    text: str


class Redactor:
    """Replaces the names of the people it is given with their labels, whole words only."""

    def __init__(self, full_names: dict[str, str], first_names: dict[str, str]):
        self.names = {**{k: v for k, v in first_names.items()}, **full_names}
        keys = sorted((k for k in self.names if len(k) >= 3), key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w@])(" + "|".join(map(re.escape, keys)) + r")(?!\w)") if keys else None

    def __call__(self, text: str) -> str:
        if not text or self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.names[m.group(1)], text)


def build_redactor(people: list[tuple[object, str | None]], others: list[object]) -> Redactor:
    """`people` are (user, label) for everyone quoted in the report; `others` the community's other
    members, whose full names become "[name]". A first name shared by two people becomes "[name]"."""
    hidden = gettext("[name]")
    full: dict[str, str] = {}
    first: dict[str, str] = {}
    clashes: set[str] = set()
    for user, label in people:
        name = (user.display_name or "").strip()
        if not name:
            continue
        full[name] = label or hidden
        given = name.split()[0]
        if given != name and len(given) >= 3:
            if given in first and first[given] != (label or hidden):
                clashes.add(given)
            first[given] = label or hidden
    for user in others:
        name = (user.display_name or "").strip()
        if name and name not in full:
            full[name] = hidden
    for given in clashes:
        first[given] = hidden
    return Redactor(full, first)


def drop_signature(text: str, names: list[str]) -> str:
    """Text without a closing signature: short last lines after a closing formula, or that hold a name."""
    if not text:
        return text
    lines = text.rstrip().split("\n")
    cut = len(lines)
    for index in range(len(lines) - 1, max(len(lines) - 1 - SIGNATURE_LINES, -1), -1):
        line = lines[index].strip()
        if not line:
            break
        if len(line) > SIGNATURE_LINE_MAX or line.endswith((".", ":", "?", "!")) and not _CLOSING_LINE.match(line):
            break
        if _CLOSING_LINE.match(line) or any(n and n in line for n in names):
            cut = index
    kept = lines[:cut]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) if kept else text


def hide_emails(text: str) -> str:
    return EMAIL_RE.sub(gettext("[e-mail]"), text) if text else text


def findings(posts: list[tuple[int, str]], ordinary_words: set[str], known: set[str]) -> list[Finding]:
    """What may still identify someone in the texts: e-mail addresses, closing lines, and runs of two or
    three capitalised words (a likely name) that are neither ordinary words nor known places or labels."""
    out: list[Finding] = []
    for post_id, text in posts:
        for email in EMAIL_RE.findall(text or ""):
            out.append(Finding(post_id, "email", email))
        last = (text or "").rstrip().split("\n")[-1:]
        if last and _CLOSING_LINE.match(last[0]):
            out.append(Finding(post_id, "signature", last[0].strip()))
        for match in _NAME_LIKE.finditer(text or ""):
            words = match.group(1).split()
            while words and words[0].casefold() in _LEADING:  # "La Ley", "In Roseau": a sentence's start
                words = words[1:]
            if len(words) < 2 or all(w.casefold() in ordinary_words or w in known for w in words):
                continue
            if " ".join(words) in known:
                continue
            out.append(Finding(post_id, "name", " ".join(words)))
    return out

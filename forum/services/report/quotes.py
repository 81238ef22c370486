"""Per guiding question: its posts, counts per theme and language, and the two or three short
sentences a writer could paste under each theme, with their citation.

A quote is chosen, not summarised: a sentence from the author's own words (not from a quote
of someone else, a table or a code block), of a readable length, not a greeting or a thanks,
preferring highlighted posts, then posts others marked useful, one per author and, when the
theme was discussed in both forums, from both languages.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from forum.services.report.common import inline_text, tree_of
from forum.services.synthesis_model import PostItem, QuestionSection

QUOTES_PER_THEME = 3
MIN_WORDS, MAX_WORDS = 8, 40
NOT_CODED = ""  # the theme code of the posts nobody tagged

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]?\s+(?=[\"“«¿¡(]?[A-ZÁÉÍÓÚÑÜ0-9])")
_ABBREVIATION = re.compile(r"(?:^|\s)(St|Sta|Sto|Dr|Dra|Sr|Sra|Srta|Mr|Mrs|Ms|Prof|Ing|Lic|Arq|Av|Nº|"
                           r"p|pp|vol|art|núm|cap|e\.g|i\.e|approx|aprox)\.$", re.IGNORECASE)
_GREETING = re.compile(
    r"^(hola|buen[oa]s|estimad[oa]s?|querid[oa]s?|saludos|gracias|muchas gracias|mil gracias|"
    r"muy interesante|muy buen[oa]s?|excelente|coincido|de acuerdo|un abrazo|cordialmente|"
    r"hi|hello|dear|thanks|thank you|greetings|good (morning|afternoon|evening)|great|i agree|"
    r"best regards|regards|kind regards|cheers|welcome|bienvenid[oa]s?|comparto|aporto|quisiera|quiero|"
    r"me sumo|me quedo|retomo|i share|i want|i would like|let me|just to add|building on)\b", re.IGNORECASE)


@dataclass
class Quote:
    text: str
    item: PostItem


def question_posts(section: QuestionSection) -> list[PostItem]:
    """Every post of the question once (highlighted, by theme, the rest), in date order."""
    seen, items = set(), []
    for item in section.highlights + [p for group in section.themes for p in group.posts] + section.remaining:
        if item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return sorted(items, key=lambda i: (i.created_at, i.id))


def theme_labels(section: QuestionSection, items: list[PostItem]) -> dict[str, str]:
    """Theme code -> label, in the codebook's order (a post lists its themes in that order too)."""
    labels = {group.code: group.label for group in section.themes}
    for item in items:
        for code in item.themes:
            labels.setdefault(code, code.replace("_", " ").capitalize())
    return labels


def theme_counts(items: list[PostItem]) -> Counter:
    """(theme code, language) -> posts; a post counts once under each of its themes."""
    counts: Counter = Counter()
    for item in items:
        for code in item.themes or [NOT_CODED]:
            counts[(code, item.language)] += 1
    return counts


def by_first_theme(items: list[PostItem]) -> dict[str, list[PostItem]]:
    """Theme code -> the posts whose first theme it is (NOT_CODED for the untagged)."""
    groups: dict[str, list[PostItem]] = {}
    for item in items:
        groups.setdefault(item.themes[0] if item.themes else NOT_CODED, []).append(item)
    return groups


def representative(items: list[PostItem], code: str, languages: list[str], used: set[int] | None = None
                   ) -> list[Quote]:
    """Up to three sentences from the posts of a theme, the strongest posts first; a post already
    quoted under another theme of the question (`used`, updated) only when nothing else is left."""
    used = used if used is not None else set()
    tagged = [i for i in items if code in i.themes]
    ranked = sorted(tagged, key=lambda i: (i.id in used, -int(i.highlight), -min(i.useful, 5),
                                           -int(i.themes[:1] == [code]), i.created_at, i.id))
    chosen: list[Quote] = []
    authors: set[int] = set()
    wanted = set(languages)
    for rank, item in enumerate(ranked):
        if len(chosen) >= QUOTES_PER_THEME:
            break
        if item.author.number and item.author.number in authors:
            continue
        # Keep the last place for the other language, if the theme was discussed in it.
        left = QUOTES_PER_THEME - len(chosen)
        missing = wanted - {q.item.language for q in chosen}
        if left == 1 and missing and item.language not in missing and any(
                i.language in missing for i in ranked[rank + 1:]):
            continue
        sentence = best_sentence(item)
        if sentence:
            chosen.append(Quote(sentence, item))
            authors.add(item.author.number)
            used.add(item.id)
    return chosen


def best_sentence(item: PostItem) -> str | None:
    """The post's most quotable sentence: of a readable length, not a greeting, early rather than late."""
    candidates = []
    sentences, emphasised = own_sentences(item)
    for position, sentence in enumerate(sentences):
        words = len(sentence.split())
        if not MIN_WORDS <= words <= MAX_WORDS or _GREETING.match(sentence) or sentence.endswith((":", "?")):
            continue
        bold = 1.0 if sentence in emphasised else 0.0
        candidates.append((abs(words - 22) / 8 + (1.5 if position == 0 else position / 10) - bold, position,
                           sentence))
    return min(candidates)[2] if candidates else None


def own_sentences(item: PostItem) -> tuple[list[str], set[str]]:
    """Sentences of the author's own paragraphs and list items (not quotes of others, tables or
    code), and those in which the author put words in bold: often the point they make."""
    sentences: list[str] = []
    emphasised: set[str] = set()
    for node in tree_of(item).walk():
        if node.type != "inline" or _inside(node, ("blockquote", "table", "footnote_block")):
            continue
        if node.parent is not None and node.parent.type == "heading":
            continue
        text = " ".join(inline_text(node).split())
        found = _join_abbreviations([s.strip() for s in _SENTENCE_END.split(text) if s.strip()])
        sentences.extend(found)
        strong = [" ".join(inline_text(c).split()) for c in node.children if c.type == "strong"]
        emphasised.update(s for s in found if any(words and words in s for words in strong))
    return sentences, emphasised


def _join_abbreviations(pieces: list[str]) -> list[str]:
    """"St. Catherine", "Dr. Pérez", "Ing. Rojas": a full stop after an abbreviation ends no sentence."""
    out: list[str] = []
    for piece in pieces:
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _inside(node, kinds: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in kinds:
            return True
        parent = parent.parent
    return False

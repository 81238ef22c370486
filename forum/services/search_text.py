"""Words as search sees them, the same on SQLite and PostgreSQL.

A document is indexed twice over: its words folded (lowercase, accents off, as
PostgreSQL's unaccent does) and their Snowball stems in the document's language.
PostgreSQL computes both itself (forum_es / forum_en and forum_simple, see
forum/models/search.py); for SQLite's FTS5 this module writes the stems with
PyStemmer, the same Snowball algorithms, in the same order: Spanish words are
stemmed as written (the Spanish stemmer needs the accents of "-ción" and takes
them off its output), English words after folding. The stopword lists are
PostgreSQL's own (forum/services/stopwords/), so a query drops the same words.

A query word matches a document when its stem or its folded form is among the
document's: "resiliencia" finds "resilientes", "gestion" finds "gestión".
A word in capitals (an acronym: "FONDEN") or in quotes matches only as written,
not by stem (the Spanish stemmer would make "FONDEN" the stem of "fondo");
"word*" matches words that start so; "several words" in quotes, as a phrase.
"""
from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import Stemmer

LANGUAGES = {"es": "spanish", "en": "english"}
WORD = re.compile(r"\w+")
_QUERY = re.compile(r'"([^"]*)"?|(\w+)(\*?)')
MAX_TERMS = 12
MIN_PREFIX = 3


def fold(text: str) -> str:
    """Lowercase without accents: 'Gestión Ñandú' -> 'gestion nandu' (like unaccent)."""
    return _fold_word(text) if len(text) <= 40 else _fold(text)


@lru_cache(maxsize=100_000)
def _fold_word(text: str) -> str:
    """A word (or a short title) folded: snippets fold the same few thousand words again and again."""
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _stemmer(language: str):
    return Stemmer.Stemmer(LANGUAGES.get(language, "english"))


@cache
def stopwords(language: str) -> frozenset[str]:
    path = Path(__file__).with_name("stopwords") / f"{language}.txt"
    return frozenset(path.read_text(encoding="utf-8").split()) if path.exists() else frozenset()


@lru_cache(maxsize=100_000)
def stem(word: str, language: str) -> str:
    """The stem PostgreSQL's forum_<language> configuration gives this (lowercase) word; kept
    for the next time, as a forum's words repeat (snippets and indexing stem every word)."""
    if language == "es":
        return fold(_stemmer("es").stemWord(word))
    return _stemmer(language).stemWord(fold(word))


def stems_text(text: str, language: str) -> str:
    """The document's stems, in order, for SQLite's FTS5 (stopwords left out, as PostgreSQL does)."""
    stop = stopwords(language)
    return " ".join(stem(w, language) for w in WORD.findall(text.lower()) if w not in stop)


def tagged(stem_: str, language: str) -> str:
    """A stem as SQLite's FTS5 table holds it, tagged with its document's language ("es0planif"):
    one MATCH then finds a stem in its own language's documents without a language phrase, whose
    statistics FTS5's bm25 would gather over half the index at every search."""
    return f"{language}0{stem_}"


def tagged_stems(text: str, language: str) -> str:
    """The document's stems, in order, each tagged with the language (see tagged); a word whose
    folded form stems otherwise (rare: Spanish stems words as written) adds that stem too, so a
    word typed without its accents finds it by stem alone (see search_match.word_stems)."""
    stop = stopwords(language)
    out = []
    for word in WORD.findall(text.lower()):
        if word not in stop:
            out.extend(tagged(s, language) for s in word_stems(word, language))
    return " ".join(out)


def word_stems(word: str, language: str) -> tuple[str, ...]:
    """A lowercase word's stem, and its folded form's stem when that differs."""
    own, folded = stem(word, language), stem(fold(word), language)
    return (own,) if own == folded else (own, folded)


def vocabulary(text: str) -> set[str]:
    """Folded words worth suggesting ("did you mean"): letters only, 4 to 40 of them, no stopwords."""
    words = set(WORD.findall(fold(text)))
    stop = stopwords("es") | stopwords("en")
    return {w for w in words if 4 <= len(w) <= 40 and w.isalpha() and w not in stop}


@dataclass(frozen=True)
class Term:
    text: str  # as typed, lowercase (accents kept: the Spanish stemmer needs them)
    kind: str  # "word" (stem or folded form), "exact", "prefix", "phrase"

    @property
    def folded(self) -> str:
        return fold(self.text)

    def stem(self, language: str) -> str:
        return stem(self.text, language)


@dataclass
class Query:
    terms: list[Term] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> list[Term]:
        return [t for t in self.terms if t.kind == "word"]

    def replaced(self, replacements: dict[str, str]) -> Query:
        return Query([Term(replacements.get(t.text, t.text), t.kind) for t in self.terms])

    def text(self) -> str:
        """The query written back, for links ("did you mean")."""
        out = []
        for t in self.terms:
            out.append({"exact": f'"{t.text}"', "phrase": f'"{t.text}"', "prefix": f"{t.text}*"}.get(t.kind, t.text))
        return " ".join(out)


def parse(query: str) -> Query:
    """Terms from what a person typed; no database syntax survives (only \\w+ words)."""
    terms: list[Term] = []
    stop = stopwords("es") | stopwords("en")
    for quoted, word, star in _QUERY.findall(query or ""):
        if quoted:
            words = WORD.findall(quoted.lower())
            if len(words) == 1:
                terms.append(Term(words[0], "exact"))
            elif words:
                terms.append(Term(" ".join(words[:8]), "phrase"))
        elif word:
            lower = word.lower()
            if star and len(word) >= MIN_PREFIX:
                terms.append(Term(lower, "prefix"))
            elif len(word) >= 2 and word.isupper() and word.isalpha():
                terms.append(Term(lower, "exact"))  # an acronym
            elif lower not in stop:
                terms.append(Term(lower, "word"))
    if not terms:  # only stopwords: look for them as written rather than for nothing
        terms = [Term(w.lower(), "exact") for w in WORD.findall(query or "")]
    return Query(terms[:MAX_TERMS])


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two words."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def highlight_marks(text: str, query: Query, language: str, start: str, stop: str,
                    max_words: int = 40, seen: dict | None = None) -> str:
    """The text (or a window of about max_words around the first match) with matching
    words between start and stop markers; the caller escapes it and turns markers into <mark>.
    `seen` remembers which words match across the texts of one search (the same query and
    language): a page's twenty results share most of their words."""
    if not text:
        return ""
    hit = _hit_test(query, language, {} if seen is None else seen)
    window, first, end_reached = _window(text, hit, max_words)
    if not window:
        return ""
    begin, end = window[0].start() if first else 0, window[-1].end()
    if end_reached:
        end = len(text)
    out, position = [], begin
    for m in window:
        out.append(text[position:m.start()])
        out.append(f"{start}{m.group()}{stop}" if hit(m.group()) else m.group())
        position = m.end()
    out.append(text[position:end])
    return ("… " if first else "") + "".join(out).strip() + (" …" if end < len(text) else "")


def _hit_test(query: Query, language: str, seen: dict):
    """Whether a word of a text matches the query: as written, by its stem, or by a prefix."""
    folded_words, stems, prefixes = set(), set(), []
    for term in query.terms:
        for piece in WORD.findall(term.text):
            if term.kind == "prefix":
                prefixes.append(fold(piece))
            else:
                folded_words.add(fold(piece))
                if term.kind == "word":
                    stems.add(stem(piece, language))
    starts = tuple(prefixes)

    def hit(token: str) -> bool:
        found = seen.get(token)
        if found is None:
            lower = token.lower()
            folded = fold(lower)
            found = seen[token] = (folded in folded_words or stem(lower, language) in stems
                                   or bool(starts and folded.startswith(starts)))
        return found
    return hit


def _window(text: str, hit, max_words: int) -> tuple[list, int, bool]:
    """(max_words tokens from a quarter of them before the first match, or from the start; the
    index of the first; whether they reach the text's end). Reads the text only that far."""
    lead = max_words // 4
    before: deque = deque(maxlen=lead)
    tokens = WORD.finditer(text)
    for index, m in enumerate(tokens):
        if hit(m.group()):
            window, first = [*before, m], index - len(before)
            break
        before.append(m)
    else:  # no word matches (the document matched by another form): its beginning
        tokens = WORD.finditer(text)
        window, first = [], 0
    for m in tokens:
        if len(window) >= max_words:
            return window, first, False
        window.append(m)
    return window, first, True

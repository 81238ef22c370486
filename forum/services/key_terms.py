"""Key terms of what the participants of a question wrote, offline, per language.

A term is a lemma (simplemma folds "años" into "año", "planes" into "plan") or a pair of
adjacent lemmas ("gobierno local"), weighed by how many participants use it rather than by
how often it occurs, so one long post cannot fill the list. Stopwords and words generic to
any planning discussion ("año", "ciudad", "people", "work") are left out. Each term is shown
with its most frequent written form and the number of participants who used it.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

from forum.services.search_text import stopwords

MIN_PARTICIPANTS = 2
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))+")

# Words that say nothing about a planning discussion in particular (compared folded, lemma form).
GENERIC = {
    "es": """año mes dia vez caso forma parte tipo tema cosa ejemplo manera nivel ciudad pais region
        persona gente trabajo punto lugar momento proceso sistema hecho general importante gran grande
        mayor mejor nuevo bueno mismo cada otro todo tanto mucho poco solo bien mas menos ademas
        tambien creer pensar decir hacer tener poder deber querer ver dar llegar pasar seguir quedar
        hablar saludo gracias colega compañero foro pregunta respuesta comentario experiencia caso
        aporte idea ejemplo realidad aspecto senalar considerar parecer existir lograr contar""",
    "en": """year month day time case way part type topic thing example level city country region
        person people work point place moment process system fact general important great large big
        major better good new same each other all much many little only well more less also
        think say make have can must want see give get come go take use need know believe seem
        greeting thanks thank colleague forum question answer comment experience idea reality aspect
        regard look find lot kind really just""",
}


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))


@lru_cache(maxsize=2)
def _generic(lang: str) -> frozenset[str]:
    return frozenset(_fold(w) for w in GENERIC.get(lang, "").split())


@lru_cache(maxsize=50_000)
def _lemma(word: str, lang: str) -> str:
    import simplemma

    return _fold(simplemma.lemmatize(word, lang=lang))


def _terms_of(text: str, lang: str, stop: frozenset[str], generic: frozenset[str]) -> list[tuple[str, str]]:
    """(lemma key, written form) for each content word and each pair of adjacent content words."""
    out: list[tuple[str, str]] = []
    previous: tuple[str, str] | None = None
    for match in _WORD.finditer(text):
        word = match.group(0)
        lower = word.casefold()
        if len(lower) < 3 or lower in stop:
            previous = None
            continue
        key = _lemma(lower, lang)
        if key in generic or _fold(lower) in generic:
            previous = None
            continue
        out.append((key, lower))
        if previous is not None:
            out.append((f"{previous[0]} {key}", f"{previous[1]} {lower}"))
        previous = (key, lower)
    return out


def key_terms(texts_by_person: list[tuple[object, str]], lang: str, top: int = 8) -> list[tuple[str, int]]:
    """The `top` terms as (written form, participants who used it), most shared first.

    `texts_by_person` is (person key, text) for each post; a term counts once per person."""
    stop, generic = stopwords(lang), _generic(lang)
    people: dict[str, set] = defaultdict(set)
    forms: dict[str, Counter] = defaultdict(Counter)
    frequency: Counter = Counter()
    for person, text in texts_by_person:
        for key, form in _terms_of(text or "", lang, stop, generic):
            people[key].add(person)
            forms[key][form] += 1
            frequency[key] += 1
    shared = [k for k in people if len(people[k]) >= MIN_PARTICIPANTS]
    # A pair of words ranks before its single words when as many people use it.
    ranked = sorted(shared, key=lambda k: (-len(people[k]), -(" " in k), -frequency[k], k))
    chosen: list[str] = []
    for key in ranked:  # "national" and "national level" are one term: the first to rank stays
        parts = key.split(" ")
        if any(p in chosen or any(p in c.split(" ") for c in chosen) for p in parts):
            continue
        chosen.append(key)
        if len(chosen) == top:
            break
    return [(forms[k].most_common(1)[0][0], len(people[k])) for k in chosen]

"""New themes from what is not coded yet: the untagged replies of one guiding question, in both
languages, grouped by the curation assistant's stored vectors, each group with its shared key
terms and its most typical replies, for moderators to turn into a codebook theme in one step.

Nothing is computed from the posts' text here but the key terms of the groups: the vectors come
from `forum.services.assist` (its job keeps them up to date), and grouping is k-means on them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import (
    AssistVector,
    Forum,
    ForumPair,
    Post,
    PostTheme,
    Theme,
    Thread,
    User,
)
from forum.policy import ensure
from forum.services import DomainError, assist_text
from forum.services.atomic import atomic
from forum.services.codebook import THEME_CODE, THEME_LABEL_MAX
from forum.services.key_terms import key_terms
from forum.services.moderation import log

MIN_REPLIES = 6       # fewer untagged replies than this: nothing to group
MAX_GROUPS = 8
REPRESENTATIVES = 3


@dataclass
class Candidate:
    size: int
    terms: dict[str, list[tuple[str, int]]]      # language -> (term, participants)
    posts: list[Post] = field(default_factory=list)  # the most typical replies, closest first
    members: list[int] = field(default_factory=list)  # every reply of the group (ids)
    languages: dict[str, int] = field(default_factory=dict)

    def code(self) -> str:
        """A code made from the group's first term, for the form to start from."""
        first = next((terms[0][0] for terms in self.terms.values() if terms), "theme")
        return re.sub(r"[^a-z0-9]+", "_", first.lower().encode("ascii", "ignore").decode()).strip("_")[:40] or "theme"


def _untagged(pair: ForumPair, position: int):
    tagged = select(PostTheme.post_id)
    return db.session.execute(
        select(Post, AssistVector.vector, Forum.language).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id).join(AssistVector, AssistVector.post_id == Post.id)
        .where(Forum.pair_id == pair.id, Thread.kind == "guiding_question", Thread.position == position,
               Post.number > 1, Post.is_live, Post.id.not_in(tagged))
        .order_by(Post.id).options(joinedload(Post.author))).all()


def _kmeans(vectors: np.ndarray, k: int, rounds: int = 25) -> np.ndarray:
    """Labels from k-means with k-means++ seeding, seeded so the same data gives the same groups."""
    rng = np.random.default_rng(0)
    centres = [vectors[rng.integers(len(vectors))]]
    for _ in range(1, k):
        distance = np.min([np.sum((vectors - c) ** 2, axis=1) for c in centres], axis=0)
        centres.append(vectors[rng.choice(len(vectors), p=distance / distance.sum())] if distance.sum() else
                       vectors[rng.integers(len(vectors))])
    centres = np.array(centres)
    labels = np.zeros(len(vectors), dtype=int)
    for _ in range(rounds):
        labels = np.argmax(vectors @ centres.T, axis=1)
        moved = np.array([vectors[labels == g].mean(axis=0) if np.any(labels == g) else centres[g] for g in range(k)])
        moved /= np.linalg.norm(moved, axis=1, keepdims=True) + 1e-9
        if np.allclose(moved, centres):
            break
        centres = moved
    return labels


def candidates(pair: ForumPair, position: int) -> list[Candidate]:
    """Groups of the question's untagged replies, largest first (two or more replies each)."""
    rows = _untagged(pair, position)
    sizes = [len(v) for _p, v, _l in rows]
    rows = [r for r, size in zip(rows, sizes) if size == max(set(sizes), key=sizes.count)] if rows else []
    if len(rows) < MIN_REPLIES:  # (a change of method leaves vectors of two sizes: the usual one wins)
        return []
    vectors = np.array([np.frombuffer(v, dtype=np.float16).astype(np.float32) for _p, v, _l in rows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    k = max(2, min(MAX_GROUPS, round(math.sqrt(len(rows)))))
    labels = _kmeans(vectors, k)
    groups = []
    for g in range(k):
        members = np.flatnonzero(labels == g)
        if len(members) < 2:
            continue
        centre = vectors[members].mean(axis=0)
        typical = members[np.argsort(-(vectors[members] @ centre))][:REPRESENTATIVES]
        by_language: dict[str, list] = {}
        for i in members:
            post, _vector, language = rows[i]
            by_language.setdefault(language, []).append((post.author_id, assist_text.plain_text(post.body_md)))
        groups.append(Candidate(size=len(members), posts=[rows[i][0] for i in typical],
                                members=[rows[i][0].id for i in members],
                                terms={lang: key_terms(texts, lang, top=5) for lang, texts in by_language.items()},
                                languages={lang: len(texts) for lang, texts in by_language.items()}))
    return sorted(groups, key=lambda c: -c.size)


@atomic
def add_theme(moderator: User, pair: ForumPair, code: str, label_es: str, label_en: str) -> Theme:
    """A new theme at the end of the pair's codebook, as a moderator names it from a candidate."""
    ensure(moderator, "community.moderate", pair.community)
    code, label_es, label_en = (code or "").strip(), (label_es or "").strip(), (label_en or "").strip()
    if not THEME_CODE.match(code):
        raise DomainError(_l("A code has up to 40 letters without accents, digits, “_”, “-” or “.”, and no spaces."),
                          field="code")
    for name, label in (("label_es", label_es), ("label_en", label_en)):
        if not label:
            raise DomainError(_l("Write the theme's label in both languages."), field=name)
        if len(label) > THEME_LABEL_MAX:
            raise DomainError(_l("A label has at most %(max)d characters.", max=THEME_LABEL_MAX), field=name)
    if code.casefold() in {t.code.casefold() for t in pair.themes}:
        raise DomainError(_l("The codebook already has this code."), field="code")
    theme = Theme(code=code, label_es=label_es, label_en=label_en, position=len(pair.themes))
    pair.themes.append(theme)
    db.session.flush()
    log(pair.community, moderator, "add_theme", "pair", pair.id, after=f"{code} | {label_es} | {label_en}")
    return theme

"""Offline assistance for curation: theme suggestions and the same answer in the other language.

The job (`refresh`, every minute, and `flask assist refresh`) turns new and edited replies into
vectors (forum.services.assist_text), then, when anything changed (replies, coded examples or the
codebook), re-scores the whole pair (forum.services.assist_scoring) and stores the results. The
pages only read those rows: `suggestions`, `similar_in_sibling` and `status` are one or two
queries each. Suggestions are only suggestions: nothing here ever tags a post.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from flask import current_app
from sqlalchemy import delete, func, select

from forum.extensions import db
from forum.models import (
    AssistSibling,
    AssistState,
    AssistSuggestion,
    AssistVector,
    Forum,
    ForumPair,
    Post,
    PostTheme,
    Theme,
    Thread,
    utcnow,
)
from forum.models.translated import FALLBACK, texts_of
from forum.services import assist_scoring as scoring
from forum.services import assist_text as text

BATCH = 32  # replies encoded and committed at a time: bounds memory, shows progress
MIN_EXAMPLES = 3  # coded replies in the pair before anything is suggested


@dataclass(frozen=True)
class Suggestion:
    theme_id: int
    score: float  # 0..1, comparable within a pair
    reasons: list[int] = field(default_factory=list)  # the most similar coded posts with this theme


@dataclass(frozen=True)
class Status:
    ready: int
    total: int
    updated_at: datetime | None


def suggestions(post_ids: list[int]) -> dict[int, list[Suggestion]]:
    """Stored suggestions of these posts, best first (at most three, never a theme a post has)."""
    out: dict[int, list[Suggestion]] = {post_id: [] for post_id in post_ids}
    if not post_ids:
        return out
    rows = db.session.execute(
        select(AssistSuggestion).where(AssistSuggestion.post_id.in_(post_ids))
        .where(~select(PostTheme.id).where(PostTheme.post_id == AssistSuggestion.post_id,
                                           PostTheme.theme_id == AssistSuggestion.theme_id).exists())
        .order_by(AssistSuggestion.post_id, AssistSuggestion.rank)).scalars()
    for row in rows:
        out[row.post_id].append(Suggestion(row.theme_id, row.score,
                                           [int(i) for i in row.reasons.split(",") if i]))
    return out


def similar_in_sibling(post_ids: list[int], limit: int = 3) -> dict[int, list[tuple[int, float]]]:
    """For each post, the closest replies to the same question in the other language, best first."""
    out: dict[int, list[tuple[int, float]]] = {post_id: [] for post_id in post_ids}
    if not post_ids:
        return out
    rows = db.session.execute(
        select(AssistSibling.post_id, AssistSibling.other_id, AssistSibling.score)
        .where(AssistSibling.post_id.in_(post_ids), AssistSibling.rank < limit)
        .order_by(AssistSibling.post_id, AssistSibling.rank)).all()
    for post_id, other_id, score in rows:
        out[post_id].append((other_id, score))
    return out


def status(pair: ForumPair) -> Status:
    """"Suggestions for N of M replies are ready": the job's count against the live replies now."""
    state = db.session.get(AssistState, pair.id)
    total = db.session.execute(_replies_query(pair, func.count(Post.id))).scalar_one()
    if state is None:
        return Status(0, total, None)
    return Status(min(state.ready, total), total, state.updated_at)


def _replies_query(pair: ForumPair, *columns):
    """Live replies (not the question itself) of the pair's visible threads."""
    columns = columns or (Post.id, Post.body_md, Post.render_version, Thread.position, Thread.kind, Forum.language)
    return (select(*columns)
            .join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
            .where(Forum.pair_id == pair.id, Thread.hidden_at.is_(None), Post.number > 1, Post.is_live))


def refresh(pair: ForumPair, progress: Callable[[int, int], None] | None = None) -> dict:
    """The job's body for one pair: encode new and edited replies, then re-score if anything changed.

    Returns counts: encoded, removed, scored (0 when nothing changed), total, method."""
    enc = text.encoder(current_app.config.get("ASSIST_METHOD", "auto"))
    state = db.session.get(AssistState, pair.id) or AssistState(pair_id=pair.id, ready=0, scored_with="")
    signature = _signature(pair, enc)
    if state.checked_with == signature:
        return {"encoded": 0, "removed": 0, "scored": 0, "total": state.total, "method": enc.name}
    replies = db.session.execute(_replies_query(pair).order_by(Post.id)).all()
    known = dict(db.session.execute(select(AssistVector.post_id, AssistVector.fingerprint)
                                    .filter_by(pair_id=pair.id)).all())
    wanted = {r.id: text.fingerprint(enc.name, r.body_md, r.render_version) for r in replies}
    stale = [post_id for post_id in known if post_id not in wanted]
    if stale:
        db.session.execute(delete(AssistVector).where(AssistVector.post_id.in_(stale)))
        db.session.execute(delete(AssistSuggestion).where(AssistSuggestion.post_id.in_(stale)))
        db.session.execute(delete(AssistSibling).where(AssistSibling.post_id.in_(stale)
                                                       | AssistSibling.other_id.in_(stale)))
    todo = [r for r in replies if known.get(r.id) != wanted[r.id]]
    db.session.add(state)
    state.total, state.method = len(replies), enc.name
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        _store_vectors(pair, enc, batch, wanted)
        state.updated_at = utcnow()
        db.session.commit()
        if progress:
            progress(start + len(batch), len(todo))
    scored = _rescore(pair, enc, state, wanted)
    state.checked_with = signature
    db.session.commit()
    return {"encoded": len(todo), "removed": len(stale), "scored": scored, "total": len(replies),
            "method": enc.name}


def _signature(pair: ForumPair, enc) -> str:
    """Counts and sums that change when a reply is added, edited, re-rendered, hidden or deleted,
    when a tag is added or removed, or when the codebook changes; two aggregate queries."""
    posts = db.session.execute(_replies_query(pair, func.count(Post.id), func.sum(Post.id),
                                              func.sum(Post.render_version), func.max(Post.edited_at))).one()
    tags = db.session.execute(
        select(func.count(), func.sum(PostTheme.id)).join(Theme, Theme.id == PostTheme.theme_id)
        .where(Theme.pair_id == pair.id)).one()
    themes = [_theme_key(t) for t in pair.themes]
    return hashlib.sha256(repr((enc.name, tuple(posts), tuple(tags), themes)).encode()).hexdigest()


def _store_vectors(pair: ForumPair, enc, batch, wanted: dict[int, str]) -> None:
    embedded = text.embed_replies(enc, [r.body_md for r in batch])
    ids = [r.id for r in batch]
    db.session.execute(delete(AssistVector).where(AssistVector.post_id.in_(ids)))
    for reply, (vector, rows) in zip(batch, embedded):
        db.session.add(AssistVector(post_id=reply.id, pair_id=pair.id, fingerprint=wanted[reply.id],
                                    method=enc.name, dims=enc.dims, vector=text.to_bytes(vector),
                                    sentences=None if rows is None else text.to_bytes(rows)))


def _theme_key(theme: Theme) -> tuple:
    """What the suggestions read of a theme: its labels and descriptions in every language."""
    return theme.id, sorted(texts_of(theme, "label").items()), sorted(texts_of(theme, "description").items())


def _in_order(texts: dict[str, str]) -> list[str]:
    """Spanish, English, then any other language by code: the rows in a stable order."""
    return [texts[lang] for lang in sorted(texts, key=lambda code: (code not in FALLBACK, FALLBACK.index(code)
                                                                  if code in FALLBACK else 0, code))]


def _theme_texts(enc, themes: list[Theme]) -> list[np.ndarray]:
    """Each theme's labels and description sentences, in every language it has, as rows."""
    out = []
    for theme in themes:
        parts = _in_order(texts_of(theme, "label"))
        for description in _in_order(texts_of(theme, "description")):
            parts += [s for s in text.sentences(description or "") if s != "-"]
        out.append(enc.encode(parts))
    return out


def _rescore(pair: ForumPair, enc, state: AssistState, wanted: dict[int, str]) -> int:
    """Recompute every suggestion and sibling of the pair, unless nothing they depend on changed."""
    themes = list(db.session.execute(select(Theme).filter_by(pair_id=pair.id).order_by(Theme.position)).scalars())
    tags = db.session.execute(select(PostTheme.post_id, PostTheme.theme_id)
                              .where(PostTheme.post_id.in_(select(AssistVector.post_id)
                                                           .filter_by(pair_id=pair.id)))).all()
    key = hashlib.sha256(repr((enc.name, sorted(wanted.items()), sorted(tags),
                               [_theme_key(t) for t in themes])).encode()).hexdigest()
    if key == state.scored_with:
        return 0
    db.session.execute(delete(AssistSuggestion).filter_by(pair_id=pair.id))
    db.session.execute(delete(AssistSibling).filter_by(pair_id=pair.id))
    replies = _load(pair, enc, wanted)
    sibling_rows = scoring.siblings(replies) if replies.ids else []
    for i, near in enumerate(sibling_rows):
        for rank, (j, similarity) in enumerate(near):
            db.session.add(AssistSibling(pair_id=pair.id, post_id=replies.ids[i], other_id=replies.ids[j],
                                         rank=rank, score=similarity))
    suggested = bool(replies.ids and themes) and _store_suggestions(pair, enc, themes, tags, replies, sibling_rows)
    state.scored_with, state.ready, state.updated_at = key, len(replies.ids) if suggested else 0, utcnow()
    return len(replies.ids)


def _load(pair: ForumPair, enc, wanted: dict[int, str]) -> scoring.Replies:
    rows = db.session.execute(
        select(AssistVector.post_id, AssistVector.dims, AssistVector.vector, AssistVector.sentences,
               Thread.position, Thread.kind, Forum.language)
        .join(Post, Post.id == AssistVector.post_id).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id)
        .where(AssistVector.pair_id == pair.id, AssistVector.post_id.in_(list(wanted)))
        .order_by(AssistVector.post_id)).all()
    vectors = [text.from_bytes(r.vector, r.dims)[0] for r in rows]
    matrix = np.stack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
    if not enc.has_sentences and len(matrix):
        matrix = text.weigh_rare_features(matrix)
    return scoring.Replies(
        ids=[r.post_id for r in rows],
        vectors=matrix,
        sentences=[text.from_bytes(r.sentences, r.dims) if r.sentences else v[None, :] for r, v in zip(rows, vectors)],
        groups=[(r.position if r.kind == "guiding_question" else None, r.language) for r in rows])


def _store_suggestions(pair, enc, themes, tags, replies: scoring.Replies, sibling_rows) -> bool:
    """Suggestions for every reply, once enough replies are coded (else none, and False)."""
    row_of = {post_id: i for i, post_id in enumerate(replies.ids)}
    column = {theme.id: k for k, theme in enumerate(themes)}
    has: dict[int, set[int]] = {}
    for post_id, theme_id in tags:
        if theme_id in column:
            has.setdefault(row_of[post_id], set()).add(column[theme_id])
    if len(has) < MIN_EXAMPLES:
        return False
    coded = np.array(sorted(has))
    labels = np.array([[k in has[c] for k in range(len(themes))] for c in coded], dtype=np.float32)
    scores = scoring.theme_scores(replies, _theme_texts(enc, themes), coded, labels, sibling_rows)
    for i, post_id in enumerate(replies.ids):
        top = [k for k in np.argsort(-scores[i])[:scoring.TOP] if k not in has.get(i, set())]
        for rank, k in enumerate(top):
            why = scoring.reasons(replies, i, coded, labels, k)
            db.session.add(AssistSuggestion(pair_id=pair.id, post_id=post_id, theme_id=themes[k].id, rank=rank,
                                            score=float(1 / (1 + np.exp(-scores[i, k]))),
                                            reasons=",".join(map(str, why))))
    return True


def forget(pair: ForumPair) -> None:
    """Drop what the job stored for a pair that is about to be deleted (its forum joined another)."""
    for model in (AssistSuggestion, AssistSibling, AssistVector, AssistState):
        db.session.execute(delete(model).where(model.pair_id == pair.id))


def refresh_all(progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """The scheduler's job: every published pair with a codebook; incremental, so usually quick."""
    pairs = db.session.execute(select(ForumPair).where(ForumPair.status == "published",
                                                       ForumPair.themes.any())).scalars().all()
    totals = {"pairs": 0, "encoded": 0, "scored": 0}
    for pair in pairs:
        result = refresh(pair, progress)
        totals["pairs"] += 1
        totals["encoded"] += result["encoded"]
        totals["scored"] += result["scored"]
    return totals

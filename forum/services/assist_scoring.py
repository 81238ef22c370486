"""The arithmetic of the suggestions, on vectors already computed: cheap enough to redo whenever
moderators code more replies (a few hundred milliseconds for 2,000 replies).

A theme's score for a reply combines, each standardised:
- how close the reply's sentences come to the theme's labels and description sentences (the
  codebook), standardised per theme over the pair so that broad themes do not win everywhere;
- a vote of the most similar coded replies (k nearest neighbours, both languages), weighted less;
- half of the same score for the reply's closest counterpart in the sibling forum, weighted by
  how close it is (the same point made in the other language usually carries the same themes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEIGHBOURS = 5
# The codebook carries most of the signal with few examples (measured: scripts/bench-assist).
NEIGHBOUR_WEIGHT = 0.3
SIBLING_WEIGHT = 0.5
TOP = 3


@dataclass
class Replies:
    """The pair's replies, in one order: ids, vectors, sentence rows, and where they were posted."""

    ids: list[int]
    vectors: np.ndarray  # N x d, L2-normalised
    sentences: list[np.ndarray]  # per reply, n_i x d (its own vector when there are no sentences)
    groups: list[tuple[int | None, str]]  # (guiding question position or None, language)


def _standard(matrix: np.ndarray, axis: int) -> np.ndarray:
    mean = matrix.mean(axis=axis, keepdims=True)
    std = matrix.std(axis=axis, keepdims=True)
    return (matrix - mean) / np.where(std == 0, 1, std)


def codebook_scores(replies: Replies, theme_texts: list[np.ndarray]) -> np.ndarray:
    """N x T: the mean over a theme's texts of the best sentence match, plus the mean of the three
    best sentences' matches; each column standardised over the pair."""
    mean_best = np.zeros((len(replies.ids), len(theme_texts)), dtype=np.float32)
    top_three = np.zeros_like(mean_best)
    for i, rows in enumerate(replies.sentences):
        for k, texts in enumerate(theme_texts):
            sims = rows @ texts.T  # sentences x theme texts
            mean_best[i, k] = sims.max(axis=0).mean()
            top_three[i, k] = np.sort(sims.max(axis=1))[::-1][:3].mean()
    if len(replies.ids) < 2:
        return mean_best + top_three
    return _standard(mean_best, 0) + _standard(top_three, 0)


def neighbour_votes(replies: Replies, coded: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """N x T: similarity-weighted share of the k most similar coded replies that carry each theme.
    `coded` holds row indexes of coded replies, `labels` their 0/1 theme rows."""
    votes = np.zeros((len(replies.ids), labels.shape[1] if labels.size else 0), dtype=np.float32)
    if not len(coded):
        return votes
    sims = replies.vectors @ replies.vectors[coded].T  # N x C
    sims[coded, np.arange(len(coded))] = -np.inf  # a reply is not its own neighbour
    k = min(NEIGHBOURS, len(coded) - 1) if len(coded) > 1 else 1
    nearest = np.argsort(-sims, axis=1)[:, :k]
    weights = np.clip(np.take_along_axis(sims, nearest, axis=1), 0, None)
    votes = (weights[:, :, None] * labels[nearest]).sum(axis=1)
    return votes / np.where(weights.sum(axis=1, keepdims=True) == 0, 1, weights.sum(axis=1, keepdims=True))


def siblings(replies: Replies, limit: int = TOP) -> list[list[tuple[int, float]]]:
    """Per reply: up to `limit` (row, similarity 0..1) in the other language's thread of the same question."""
    groups: dict[tuple[int | None, str], list[int]] = {}
    for i, group in enumerate(replies.groups):
        groups.setdefault(group, []).append(i)
    out: list[list[tuple[int, float]]] = [[] for _ in replies.ids]
    for (position, language), rows in groups.items():
        if position is None:
            continue
        others = [i for (p, lang), members in groups.items() if p == position and lang != language for i in members]
        if not others:
            continue
        sims = replies.vectors[rows] @ replies.vectors[others].T
        for r, row in enumerate(rows):
            order = np.argsort(-sims[r])[:limit]
            out[row] = [(others[j], float(np.clip(sims[r, j], 0, 1))) for j in order]
    return out


def theme_scores(replies: Replies, theme_texts: list[np.ndarray], coded: np.ndarray, labels: np.ndarray,
                 sibling_rows: list[list[tuple[int, float]]]) -> np.ndarray:
    """N x T combined scores (higher is more likely), see the module's docstring."""
    base = _standard(codebook_scores(replies, theme_texts), 1)
    if len(coded):
        base = base + NEIGHBOUR_WEIGHT * _standard(neighbour_votes(replies, coded, labels), 1)
    combined = base.copy()
    for i, near in enumerate(sibling_rows):
        if near:
            j, similarity = near[0]
            combined[i] += SIBLING_WEIGHT * similarity * base[j]
    return combined


def reasons(replies: Replies, row: int, coded: np.ndarray, labels: np.ndarray, theme: int) -> list[int]:
    """Ids of up to three coded replies carrying the theme, the most similar to this reply first."""
    carriers = [c for c, has in zip(coded, labels[:, theme]) if has and c != row]
    if not carriers:
        return []
    sims = replies.vectors[carriers] @ replies.vectors[row]
    return [replies.ids[carriers[j]] for j in np.argsort(-sims)[:TOP]]

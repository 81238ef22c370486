"""Every Markdown field stored beside its rendered HTML, rendered the same way on save and when
the renderer changes (`flask --app forum markup rerender`).

A row's `render_version` says which renderer made its HTML; rows older than
markup.RENDER_VERSION are re-rendered from their source. Revisions keep only their Markdown
(they are rendered when shown), so they need nothing here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.mail import absolute_links
from forum.markup import RENDER_VERSION, render
from forum.models import Forum, Newsletter, Post, Thread, Webinar
from forum.services import counters
from forum.services.bodies import render_post


def _post_html(source: str) -> str:
    return render_post(source).html


def _newsletter_html(source: str) -> str:
    return absolute_links(render(source))


@dataclass(frozen=True)
class Cooked:
    """A model whose Markdown fields are stored rendered: (source, HTML) attribute pairs."""

    name: str
    model: type
    fields: tuple[tuple[str, str], ...]
    to_html: Callable[[str], str] = render


COOKED = (
    Cooked("posts", Post, (("body_md", "body_html"),), _post_html),
    Cooked("concept notes", Forum, (("concept_note_md", "concept_note_html"),)),
    Cooked("newsletters", Newsletter, (("body_es_md", "body_es_html"), ("body_en_md", "body_en_html")),
           _newsletter_html),
    Cooked("webinars", Webinar, (("description_es_md", "description_es_html"),
                                 ("description_en_md", "description_en_html"))),
)
_BY_MODEL = {spec.model: spec for spec in COOKED}


def cook(obj) -> None:
    """Render every Markdown field of `obj` from its source and stamp the render version (no
    commit). All fields are rendered before any is changed: a failure leaves the row as it was."""
    spec = _BY_MODEL[type(obj)]
    html = {target: spec.to_html(getattr(obj, source) or "") for source, target in spec.fields}
    for target, value in html.items():
        setattr(obj, target, value)
    obj.render_version = RENDER_VERSION


@dataclass
class Outcome:
    rendered: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[str, int, str]] = field(default_factory=list)  # (what, id, why)

    @property
    def total(self) -> int:
        return sum(self.rendered.values())


def outdated(spec: Cooked) -> int:
    return db.session.execute(select(func.count()).select_from(spec.model)
                              .where(spec.model.render_version < RENDER_VERSION)).scalar_one()


def rerender(batch_size: int = 200, outcome: Outcome | None = None) -> Iterator[str]:
    """Re-render every body whose version is older, a batch per commit; yields progress lines.

    A body that fails keeps its HTML and version (a later run tries it again); the reason
    is kept in `outcome.failed`. Live posts are re-indexed for search, from the new HTML."""
    outcome = outcome if outcome is not None else Outcome()
    for spec in COOKED:
        total, done, last_id = outdated(spec), 0, 0
        outcome.rendered[spec.name] = 0
        if not total:
            yield f"{spec.name}: all at version {RENDER_VERSION}"
            continue
        while True:
            query = select(spec.model).where(spec.model.render_version < RENDER_VERSION, spec.model.id > last_id)
            if spec.model is Post:  # re-indexing reads the thread and forum
                query = query.options(joinedload(Post.thread).joinedload(Thread.forum))
            rows = db.session.execute(query.order_by(spec.model.id).limit(batch_size)).scalars().all()
            if not rows:
                break
            for row in rows:
                last_id = row.id
                try:
                    cook(row)
                except Exception as error:  # one bad body must not stop the others
                    outcome.failed.append((spec.name, row.id, f"{type(error).__name__}: {error}"))
                    continue
                outcome.rendered[spec.name] += 1
                if isinstance(row, Post):
                    counters.reindex(row)
            done += len(rows)
            db.session.commit()
            yield f"{spec.name}: {done}/{total} checked, {outcome.rendered[spec.name]} re-rendered"

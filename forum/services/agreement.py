"""Two coders: moderators code a pair's replies independently, each in their own layer
(`CoderCode`), then see how far they agree per theme (Cohen's kappa) and settle each
disagreement into the agreed coding (`PostTheme`), as qualitative researchers do.

A reply counts for the comparison when both coders gave it at least one theme: a reply only one
of them has reached is not yet a disagreement, it is work left to the other.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import CoderCode, CodeSettlement, Forum, ForumPair, Post, PostTheme, Theme, Thread, User
from forum.policy import ensure
from forum.services import DomainError, moderation
from forum.services.atomic import atomic

PER_PAGE = 20


@dataclass
class ThemeAgreement:
    """The two coders' 2 × 2 table for one theme over the replies both coded."""

    theme: Theme | None
    both: int = 0
    only_a: int = 0
    only_b: int = 0
    neither: int = 0

    @property
    def units(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def observed(self) -> float | None:
        return (self.both + self.neither) / self.units if self.units else None

    @property
    def expected(self) -> float | None:
        if not self.units:
            return None
        a, b = (self.both + self.only_a) / self.units, (self.both + self.only_b) / self.units
        return a * b + (1 - a) * (1 - b)

    @property
    def kappa(self) -> float | None:
        return kappa(self.observed, self.expected)


def kappa(observed: float | None, expected: float | None) -> float | None:
    """Cohen's kappa; None when chance alone explains everything (both coders gave one answer)."""
    if observed is None or expected is None or expected >= 1:
        return None
    return round((observed - expected) / (1 - expected), 9) + 0.0  # no -0.00 from rounding noise


STRENGTHS = ((0.2, _l("slight")), (0.4, _l("fair")), (0.6, _l("moderate")), (0.8, _l("substantial")))


def strength(value: float | None):
    """Landis and Koch's words for a kappa, the scale qualitative researchers quote."""
    if value is None:
        return None
    if value < 0:
        return _l("poor")
    return next((label for limit, label in STRENGTHS if value <= limit), _l("almost perfect"))


@dataclass
class Agreement:
    coder_a: User | None
    coder_b: User | None
    themes: list[ThemeAgreement]
    units: int = 0            # replies both coded
    only_a_coded: int = 0     # replies only coder A has coded so far
    only_b_coded: int = 0

    @property
    def pooled(self) -> float | None:
        """Pooled kappa (De Vries et al., 2008): mean observed against mean expected agreement."""
        rows = [t for t in self.themes if t.units]
        if not rows:
            return None
        return kappa(sum(t.observed for t in rows) / len(rows), sum(t.expected for t in rows) / len(rows))


@atomic
def set_independent(moderator: User, pair: ForumPair, on: bool) -> None:
    """Switch the pair's queue between the agreed coding and each coder's own layer."""
    ensure(moderator, "community.moderate", pair.community)
    if pair.independent_coding != on:
        pair.independent_coding = on
        moderation.log(pair.community, moderator, "independent_coding_on" if on else "independent_coding_off",
                       "pair", pair.id)


def _reply_of_pair(pair: ForumPair, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.thread.forum.pair_id != pair.id or not post.is_live or post.number == 1:
        raise DomainError(_l("This post is not among the replies of this forum pair."))
    return post


def _theme_of_pair(pair: ForumPair, theme_id: int | None) -> Theme:
    theme = next((t for t in pair.themes if t.id == theme_id), None)
    if theme is None:
        raise DomainError(_l("Choose a theme of this pair's codebook."))
    return theme


@atomic
def toggle(coder: User, post: Post, theme_id: int, on: bool) -> list[int]:
    """One theme on or off in the coder's own layer; returns the coder's themes on the post."""
    pair = post.thread.forum.pair
    ensure(coder, "community.moderate", pair.community)
    _theme_of_pair(pair, theme_id)
    row = db.session.execute(select(CoderCode).filter_by(post_id=post.id, theme_id=theme_id,
                                                         coder_id=coder.id)).scalar_one_or_none()
    if on and row is None:
        try:
            with db.session.begin_nested():
                db.session.add(CoderCode(pair_id=pair.id, post_id=post.id, theme_id=theme_id, coder_id=coder.id))
        except IntegrityError:  # the same click twice at once: one code
            pass
    elif not on and row is not None:
        db.session.delete(row)
        db.session.flush()
    return sorted(codes_of(coder, [post.id])[post.id])


def codes_of(coder: User, post_ids: list[int]) -> dict[int, set[int]]:
    """The coder's own themes on these posts, for the queue."""
    found: dict[int, set[int]] = {i: set() for i in post_ids}
    if post_ids:
        for post_id, theme_id in db.session.execute(select(CoderCode.post_id, CoderCode.theme_id).where(
                CoderCode.coder_id == coder.id, CoderCode.post_id.in_(post_ids))):
            found[post_id].add(theme_id)
    return found


def coders(pair: ForumPair) -> list[tuple[User, int]]:
    """Who coded independently in this pair, with how many replies each, most first."""
    rows = db.session.execute(
        select(User, func.count(func.distinct(CoderCode.post_id))).join(CoderCode, CoderCode.coder_id == User.id)
        .where(CoderCode.pair_id == pair.id).group_by(User.id).order_by(func.count(func.distinct(CoderCode.post_id)).desc(),
                                                                        User.id)).all()
    return [(user, count) for user, count in rows]


def _codes(pair: ForumPair, coder_ids: list[int]) -> list[tuple[int, int, int, int, str]]:
    """(coder, post, theme, question position, forum language) of the live replies, in one query."""
    return db.session.execute(
        select(CoderCode.coder_id, CoderCode.post_id, CoderCode.theme_id, Thread.position, Forum.language)
        .join(Post, Post.id == CoderCode.post_id).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id)
        .where(CoderCode.pair_id == pair.id, CoderCode.coder_id.in_(coder_ids), Post.is_live, Post.number > 1)
    ).all()


def _layers(rows, a: User, b: User) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Each coder's themes per reply, from `_codes` rows."""
    layers: dict[int, dict[int, set[int]]] = {a.id: defaultdict(set), b.id: defaultdict(set)}
    for coder_id, post_id, theme_id, _position, _language in rows:
        layers[coder_id][post_id].add(theme_id)
    return layers[a.id], layers[b.id]


def _compare(pair: ForumPair, a: User | None, b: User | None, rows) -> Agreement:
    themes = list(pair.themes)
    mine, theirs = _layers(rows, a, b) if a and b else ({}, {})
    shared = set(mine) & set(theirs)
    tables = {t.id: ThemeAgreement(theme=t) for t in themes}
    for post_id in shared:
        for theme_id, table in tables.items():
            in_a, in_b = theme_id in mine[post_id], theme_id in theirs[post_id]
            if in_a and in_b:
                table.both += 1
            elif in_a:
                table.only_a += 1
            elif in_b:
                table.only_b += 1
            else:
                table.neither += 1
    return Agreement(coder_a=a, coder_b=b, themes=list(tables.values()), units=len(shared),
                     only_a_coded=len(set(mine) - shared), only_b_coded=len(set(theirs) - shared))


def pick(pair: ForumPair, a_id: int | None = None, b_id: int | None = None,
         everyone: list[User] | None = None) -> tuple[User | None, User | None]:
    """The two coders to compare: those asked for if they coded here, else the two who coded most
    (`everyone`: the pair's coders, when the caller has read them already)."""
    everyone = [user for user, _count in coders(pair)] if everyone is None else everyone
    by_id = {u.id: u for u in everyone}
    a = by_id.get(a_id) or next(iter(everyone), None)
    b = by_id.get(b_id) if b_id != (a.id if a else None) else None
    b = b or next((u for u in everyone if a is None or u.id != a.id), None)
    return a, b


def by_question(pair: ForumPair) -> dict | None:
    """The dashboard's line: the two main coders' pooled kappa per question and forum language."""
    a, b = pick(pair)
    if a is None or b is None:
        return None
    rows = _codes(pair, [a.id, b.id])
    groups: dict[tuple[int, str], list] = defaultdict(list)
    for row in rows:
        groups[(row[3], row[4])].append(row)
    return {"coder_a": a, "coder_b": b, "pooled": _compare(pair, a, b, rows).pooled,
            "per_question": {key: _compare(pair, a, b, group).pooled for key, group in groups.items()}}


@dataclass
class Disagreement:
    post: Post
    theme: Theme
    applied_by: User      # the coder who put the theme on; the other did not


def _open_disagreements(pair: ForumPair, a: User, b: User, rows) -> list[tuple[int, int, int]]:
    """(post, theme, coder who applied it) over the replies both coded, not yet settled, in reply order."""
    mine_all, theirs_all = _layers(rows, a, b)
    settled = set(db.session.execute(select(CodeSettlement.post_id, CodeSettlement.theme_id)
                                     .where(CodeSettlement.pair_id == pair.id)).all())
    found = []
    for post_id in sorted(set(mine_all) & set(theirs_all)):
        mine, theirs = mine_all[post_id], theirs_all[post_id]
        for theme_id in sorted(mine ^ theirs):
            if (post_id, theme_id) not in settled:
                found.append((post_id, theme_id, a.id if theme_id in mine else b.id))
    return found


def _disagreement_page(pair: ForumPair, a: User, b: User, rows, page: int, per_page: int):
    """One page of the open disagreements, and how many there are in all."""
    found = _open_disagreements(pair, a, b, rows)
    pages = max(1, -(-len(found) // per_page))
    page = min(max(page, 1), pages)
    chunk = found[(page - 1) * per_page:page * per_page]
    posts = {p.id: p for p in db.session.execute(
        select(Post).where(Post.id.in_([post_id for post_id, _t, _c in chunk]))
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.forum))).scalars()} if chunk else {}
    themes = {t.id: t for t in pair.themes}
    people = {a.id: a, b.id: b}
    items = [Disagreement(post=posts[post_id], theme=themes[theme_id], applied_by=people[coder_id])
             for post_id, theme_id, coder_id in chunk]
    return items, len(found), page, pages


@dataclass
class AgreementPage:
    coders: list[tuple[User, int]]
    coder_a: User | None
    coder_b: User | None
    result: Agreement
    disagreements: list[Disagreement]
    open_count: int = 0
    page: int = 1
    pages: int = 1


def agreement_page(pair: ForumPair, a_id: int | None, b_id: int | None, page: int = 1,
                   per_page: int = PER_PAGE) -> AgreementPage:
    """What the agreement page shows, reading the coders and their codes once."""
    everyone = coders(pair)
    a, b = pick(pair, a_id, b_id, everyone=[user for user, _count in everyone])
    if a is None or b is None:
        return AgreementPage(coders=everyone, coder_a=a, coder_b=b, result=_compare(pair, a, b, []), disagreements=[])
    rows = _codes(pair, [a.id, b.id])
    items, open_count, page, pages = _disagreement_page(pair, a, b, rows, page, per_page)
    return AgreementPage(coders=everyone, coder_a=a, coder_b=b, result=_compare(pair, a, b, rows),
                         disagreements=items, open_count=open_count, page=page, pages=pages)


@atomic
def settle(moderator: User, pair: ForumPair, post_id: int, theme_id: int | None, applied: bool) -> None:
    """Decide one disagreement: the theme goes into the agreed coding or stays out, and the
    decision is kept so the disagreement leaves the list (the coders' own codes stay as they were,
    so the agreement measured before settling does not change)."""
    ensure(moderator, "community.moderate", pair.community)
    post = _reply_of_pair(pair, post_id)
    theme = _theme_of_pair(pair, theme_id)
    existing = db.session.execute(select(CodeSettlement).filter_by(post_id=post.id, theme_id=theme.id)
                                  ).scalar_one_or_none()
    if existing is None:
        try:
            with db.session.begin_nested():
                db.session.add(CodeSettlement(pair_id=pair.id, post_id=post.id, theme_id=theme.id, applied=applied,
                                              settled_by_id=moderator.id))
        except IntegrityError:  # settled by someone else at the same moment: the later decision stands
            existing = db.session.execute(select(CodeSettlement).filter_by(post_id=post.id, theme_id=theme.id)
                                          ).scalar_one()
    if existing is not None:
        existing.applied, existing.settled_by_id = applied, moderator.id
    _agreed_themes(moderator, post, add={theme.id} if applied else set(), remove=set() if applied else {theme.id})


def _agreed_themes(moderator: User, post: Post, add: set[int], remove: set[int]) -> bool:
    """Change the agreed coding of a post (logged by the moderation service)."""
    current = set(db.session.execute(select(PostTheme.theme_id).filter_by(post_id=post.id)).scalars())
    wanted = (current | add) - remove
    moderation.set_themes(moderator, post, sorted(wanted))
    return wanted != current


@atomic
def apply_agreed(moderator: User, pair: ForumPair, a: User, b: User) -> int:
    """Every theme both coders put on a reply goes into the agreed coding; returns how many
    replies changed (running it twice changes nothing the second time)."""
    ensure(moderator, "community.moderate", pair.community)
    mine, theirs = _layers(_codes(pair, [a.id, b.id]), a, b)
    agreed = {post_id: mine[post_id] & theirs[post_id] for post_id in set(mine) & set(theirs)}
    agreed = {post_id: themes for post_id, themes in agreed.items() if themes}
    if not agreed:
        return 0
    present: dict[int, set[int]] = defaultdict(set)
    for post_id, theme_id in db.session.execute(select(PostTheme.post_id, PostTheme.theme_id)
                                                .where(PostTheme.post_id.in_(list(agreed)))):
        present[post_id].add(theme_id)
    missing = [post_id for post_id, themes in agreed.items() if not themes <= present[post_id]]
    posts = {p.id: p for p in db.session.execute(select(Post).where(Post.id.in_(missing))).scalars()} if missing else {}
    for post_id in sorted(missing):
        _agreed_themes(moderator, posts[post_id], add=agreed[post_id], remove=set())
    return len(missing)

"""The test corpus (tests/corpus) as the database holds it: what the synthesis, curation and
cross-language tests and benchmarks rely on. The corpus is loaded once for this module."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from forum.extensions import db
from forum.models import (
    GENDERS,
    SECTORS,
    Forum,
    Membership,
    Post,
    PostTheme,
    SearchDocument,
    SynthesisNote,
    Theme,
    Thread,
    User,
)
from tests import corpus_fixtures
from tests.conftest import PASSWORD
from tests.corpus import OPENING, load_corpus

corpus, _clean_database = corpus_fixtures.module_fixtures()


def replies(corpus):
    """Every reply of the pair (not the guiding questions' opening posts), with where it is."""
    return db.session.execute(
        select(Post, Thread.position, Forum.language, User.handle)
        .join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .join(User, User.id == Post.author_id)
        .where(Forum.pair_id == corpus.pair.id, Post.number > 1)).all()


def words(text: str) -> int:
    return len(text.split())


def test_the_corpus_answers_four_questions_in_both_languages(corpus):
    found = Counter({(position, language): 0 for position in (1, 2, 3, 4) for language in ("es", "en")})
    for _post, position, language, _handle in replies(corpus):
        found[(position, language)] += 1
    expected = Counter((r.question, r.language) for r in corpus.data.replies)
    assert found == expected
    total = sum(found.values())
    assert total >= 180
    for language in ("es", "en"):
        share = sum(n for (_, lang), n in found.items() if lang == language) / total
        assert 0.4 <= share <= 0.6, (language, share)
    assert all(found[(position, language)] >= 15 for position, language in found)
    assert len(set(found.values())) > 1  # not spread evenly


def test_theme_counts_per_question_language_and_theme_match_the_coding(corpus):
    rows = db.session.execute(
        select(Thread.position, Forum.language, Theme.code, func.count(PostTheme.id))
        .select_from(PostTheme).join(Post, Post.id == PostTheme.post_id).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id).join(Theme, Theme.id == PostTheme.theme_id)
        .where(Forum.pair_id == corpus.pair.id)
        .group_by(Thread.position, Forum.language, Theme.code)).all()
    expected = Counter((r.question, r.language, code) for r in corpus.data.replies for code in r.themes)
    assert Counter({(position, language, code): n for position, language, code, n in rows}) == expected
    tagged: dict[int, set[str]] = {}
    for post_id, code in db.session.execute(
            select(PostTheme.post_id, Theme.code).join(Theme, Theme.id == PostTheme.theme_id)):
        tagged.setdefault(post_id, set()).add(code)
    for reply in corpus.data.replies:
        assert tagged.get(corpus.post_ids[reply.id], set()) == set(reply.themes), reply.id


def test_the_codebook_has_about_six_bilingual_themes_with_organizer_codes(corpus):
    themes = db.session.execute(
        select(Theme).filter_by(pair_id=corpus.pair.id).order_by(Theme.position)).scalars().all()
    assert 5 <= len(themes) <= 7
    assert "limited_resources" in {t.code for t in themes}
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", t.code) and t.label_es and t.label_en for t in themes)
    assert len({t.label_es for t in themes} | {t.label_en for t in themes}) == 2 * len(themes)
    for entry in corpus.data.codebook:
        assert words(entry["description_es"]) >= 10 and words(entry["description_en"]) >= 10, entry["code"]


def test_replies_carry_about_two_themes_on_average_some_one_some_three_some_none(corpus):
    per_post = Counter(db.session.execute(select(PostTheme.post_id)).scalars())
    live = [post.id for post, *_ in replies(corpus)]
    labels = Counter(per_post.get(post_id, 0) for post_id in live)
    coded = [n for n in per_post.values()]
    assert 1.8 <= sum(coded) / len(coded) <= 2.0
    assert labels[1] >= 20 and labels[3] >= 10 and labels[0] >= 3
    themes = Counter(code for r in corpus.data.replies for code in r.themes)
    assert min(themes.values()) >= 15  # every theme is used, unevenly
    assert max(themes.values()) >= 2 * min(themes.values())


def test_reply_times_come_from_the_offsets_never_from_today(corpus):
    posts = {post.id: post for post, *_ in replies(corpus)}
    for reply in corpus.data.replies:
        assert posts[corpus.post_ids[reply.id]].created_at == OPENING + reply.offset, reply.id
    pair = corpus.pair
    assert all(OPENING <= post.created_at < pair.closes_at for post in posts.values())
    days = {post.created_at.date() for post in posts.values()}
    assert (max(days) - min(days)).days >= 50  # spread over the two months
    for thread in corpus.threads.values():
        ordered = sorted((p for p in posts.values() if p.thread_id == thread.id), key=lambda p: p.number)
        assert [p.created_at for p in ordered] == sorted(p.created_at for p in ordered)
        assert thread.last_post_at == ordered[-1].created_at
    indexed = dict(db.session.execute(select(SearchDocument.post_id, SearchDocument.created_at)).all())
    assert all(indexed[post_id] == post.created_at for post_id, post in posts.items())
    with pytest.raises(ValueError):
        load_corpus(db.session, datetime(2023, 8, 7, 9, 0))  # a naive date would mean "local, today-ish"


def test_counterparts_are_symmetric_cross_languages_and_answer_the_same_question(corpus):
    by_id = corpus.data.by_id
    pairs = set()
    for reply in corpus.data.replies:
        for other_id in reply.counterparts:
            other = by_id[other_id]
            assert reply.id in other.counterparts, (reply.id, other_id)
            assert other.language != reply.language and other.question == reply.question
            pairs.add(frozenset((reply.id, other_id)))
    assert len(pairs) >= 40
    threads = dict(db.session.execute(select(Post.id, Thread.id).join(Thread, Thread.id == Post.thread_id)).all())
    for pair in pairs:
        first, second = sorted(pair)
        one, other = corpus.thread_of(first), corpus.thread_of(second)
        assert threads[corpus.post_ids[first]] == one.id and threads[corpus.post_ids[second]] == other.id
        assert one.position == other.position and one.forum_id != other.forum_id


def test_every_reply_to_points_to_an_earlier_post_of_the_same_thread(corpus):
    target = aliased(Post)
    rows = db.session.execute(
        select(Post, target).join(target, target.id == Post.reply_to_id)
        .where(Post.id.in_(corpus.post_ids.values()))).all()
    assert len(rows) == sum(1 for r in corpus.data.replies if r.reply_to) >= 20
    for post, answered in rows:
        assert answered.thread_id == post.thread_id
        assert answered.number < post.number and answered.created_at < post.created_at
    assert {corpus.reply_ids[post.id]: corpus.reply_ids[answered.id] for post, answered in rows} == {
        r.id: r.reply_to for r in corpus.data.replies if r.reply_to}


def test_every_author_is_a_member_with_a_profile(corpus):
    authors = {handle for *_, handle in replies(corpus)}
    people = db.session.execute(select(User, Membership).join(Membership, Membership.user_id == User.id)
                                .where(Membership.community_id == corpus.community.id)).all()
    members = {user.handle: (user, membership) for user, membership in people}
    assert authors <= set(members) and len(members) >= 70
    for user, membership in members.values():
        assert membership.state == "active" and user.is_confirmed
        assert user.sector in SECTORS and (user.gender is None or user.gender in GENDERS)
        assert re.fullmatch(r"[A-Z]{2}", user.country) and user.locale in ("es", "en") and user.timezone
        assert user.institution and "@" in user.email
    countries = Counter(user.country for user, _ in members.values())
    assert len(countries) >= 15 and min(countries.values()) <= 2
    assert len({user.gender for user, _ in members.values()}) >= 4
    unnamed = {user.handle for user, _ in members.values() if not user.show_name_in_reports}
    assert len(unnamed) >= 3 and unnamed & authors
    assert Counter(m.role for _, m in members.values())["moderator"] >= 2
    assert members["walter_ccori"][0].check_password(PASSWORD)


def test_the_texts_have_what_real_forum_posts_have(corpus):
    rows = replies(corpus)
    posts = [post for post, *_ in rows]
    html = [post.body_html for post in posts]
    source = [post.body_md for post in posts]
    count = lambda pattern, texts: sum(1 for text in texts if re.search(pattern, text))
    assert count("<table>", html) >= 3 and count("<ol>", html) >= 5 and count("<ul>", html) >= 10
    assert count("<h[23]>", html) >= 3 and count("<strong>", html) >= 10 and count("<em>", html) >= 3
    assert count('<a href="https?://', html) >= 8
    assert count(r"(?<!\]\()https?://\S+", source) >= 3  # bare URLs, linked by the sanitiser
    assert count('<a [^>]*class="mention"', html) >= 6
    assert any("@paula " in text and "/u/paula\"" not in body for text, body in zip(source, html))
    assert count("<blockquote>", html) >= 4
    names = {user.display_name for user in corpus.users.values()}
    app_quotes = [m for text in source for m in re.findall(r"^>\n> — (.+)$", text, re.MULTILINE)]
    assert app_quotes and set(app_quotes) <= names  # the app's own "Quote" format
    assert count(r"(?m)^> — [A-Z][a-z]+$", source) >= 1  # and a hand-written attribution
    assert count(r"[\w.]+@[\w.]+\.example\b", source) >= 4  # e-mail addresses in signatures
    sign_off = (r"(?m)^(Saludos|Un abrazo|Atentamente|Abraço|Con un saludo"
                r"|Best|Regards|Kind regards|Warm regards|Cheers)")
    assert count(sign_off, source) >= 15 and count(r"Saludos… Jorge", source) == 1
    first_name = {user.handle: user.display_name.split()[0] for user in corpus.users.values()}
    naming_others = 0  # "como dijo Jorge…": other participants named in prose, not by @handle
    for post, *_, handle in rows:
        others = {name for name in first_name.values() if name != first_name[handle]}
        naming_others += bool(re.search(r"\b(" + "|".join(map(re.escape, others)) + r")\b", post.body_md))
    assert naming_others >= 20
    for typo in ("resilencia", "gobernansa", "goverment"):
        assert count(typo, source) >= 1, typo
    lengths = sorted(words(text) for text in source)
    assert lengths[0] <= 15 and lengths[-1] >= 700 and sum(n > 350 for n in lengths) >= 5
    assert Counter(r.kind for r in corpus.data.replies).keys() == {"reply", "meta", "summary", "offtopic"}


def test_highlights_notes_and_representative_quotes(corpus):
    highlighted = {corpus.reply_ids[post.id] for post, *_ in replies(corpus) if post.is_highlight}
    assert highlighted == {r.id for r in corpus.data.replies if r.highlight}
    assert 0.08 <= len(highlighted) / len(corpus.data.replies) <= 0.13
    notes = db.session.execute(select(SynthesisNote).filter_by(pair_id=corpus.pair.id)).scalars().all()
    assert sorted(n.position for n in notes) == [1, 2, 3, 4]
    assert all(words(n.body_es) >= 100 and words(n.body_en) >= 100 and n.updated_at > OPENING for n in notes)
    for question, by_theme in corpus.representative_quotes.items():
        assert len(by_theme) >= 5
        languages = set()
        for code, reply_ids in by_theme.items():
            for reply_id in reply_ids:
                assert code in corpus.themes_of[reply_id] and corpus.data.by_id[reply_id].question == question
                languages.add(corpus.data.by_id[reply_id].language)
        assert languages == {"es", "en"}


def test_threads_and_forums_count_the_replies(corpus):
    by_thread = Counter()
    authors: dict[int, set[str]] = {}
    for post, position, language, handle in replies(corpus):
        by_thread[(position, language)] += 1
        authors.setdefault(post.thread_id, set()).add(handle)
    for key, thread in corpus.threads.items():
        db.session.refresh(thread)
        assert thread.post_count == by_thread[key] + 1  # and the question itself
        assert thread.participant_count == len(authors[thread.id] | {corpus.data.forum["question_author"]})
    for language, forum in corpus.forums.items():
        db.session.refresh(forum)
        assert forum.post_count == sum(n for (_, lang), n in by_thread.items() if lang == language) + 4

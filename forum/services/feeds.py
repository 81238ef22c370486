"""Atom feeds of public forums (feedgen writes the XML)."""
from __future__ import annotations

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.mail import absolute_url
from forum.models import Forum, Post, Thread

FEED_SIZE = 50


def forum_feed(forum: Forum) -> bytes:
    posts = db.session.execute(
        select(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.forum_id == forum.id, Post.is_live, Thread.hidden_at.is_(None))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(FEED_SIZE)
        .options(joinedload(Post.author), joinedload(Post.thread))
    ).scalars().all()
    forum_url = absolute_url("forums.show", community_slug=forum.community.slug, forum_slug=forum.slug)
    fg = FeedGenerator()
    fg.id(forum_url)
    fg.title(forum.title)
    fg.subtitle(forum.summary or forum.title)
    fg.link(href=forum_url, rel="alternate")
    fg.link(href=absolute_url("forums.feed", community_slug=forum.community.slug, forum_slug=forum.slug),
            rel="self")
    fg.language(forum.language)
    fg.updated(posts[0].created_at if posts else forum.created_at)
    for post in reversed(posts):
        entry = fg.add_entry()
        url = absolute_url("posts.permalink", post_id=post.id)
        entry.id(url)
        entry.link(href=url)
        entry.title(post.thread.title if post.number == 1 else f"Re: {post.thread.title}")
        name = post.author.display_name if post.author and not post.author.deleted_at else "—"
        entry.author(name=name)
        entry.published(post.created_at)
        entry.updated(post.edited_at or post.created_at)
        entry.content(post.body_html, type="html")
    return fg.atom_str(pretty=True)

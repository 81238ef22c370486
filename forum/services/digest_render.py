"""The digest's email, rendered once per language and content rather than once per member.

Members of a community mostly get the same sections, so each distinct email (its language
and the posts its sections list) is rendered once, with stand-ins for the greeting's name and
the two unsubscribe links (forum.shared_email). Links to posts are built once per post.
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import current_app

from forum.mail import absolute_url, outbox_row, unsubscribe_links
from forum.shared_email import SharedEmail


class DigestRenderer:
    def __init__(self, frequency: str):
        self.frequency = frequency
        self.email = SharedEmail("digest", text_fields=("name",), link_fields=("unsubscribe", "preferences"))
        self.links: dict[int, str] = {}

    def link(self, post) -> str:
        if post.id not in self.links:
            self.links[post.id] = absolute_url("posts.permalink", post_id=post.id)
        return self.links[post.id]

    def queue(self, user, sections, dedupe_key: str) -> dict | None:
        """`user`'s digest as an outbox row (the caller checked `dedupe_key` is new this period)."""
        locale = user.locale if user.locale in current_app.config["LANGUAGES"] else "es"
        mark = self.email.mark
        rendered = self.email.render(
            tuple(_signature(s) for s in sections), locale, user=SimpleNamespace(display_name=mark("name")),
            sections=sections, frequency=self.frequency, link=self.link, unsubscribe_url=mark("unsubscribe"),
            email_preferences_url=mark("preferences"))
        unsubscribe_url, preferences_url = unsubscribe_links(user, "digest")
        subject, text, html = self.email.fill(rendered, name=user.display_name, unsubscribe=unsubscribe_url,
                                              preferences=preferences_url)
        return outbox_row(to=user, template="digest", dedupe_key=dedupe_key, locale=locale, subject=subject,
                          text=text, html=html, unsubscribe_url=unsubscribe_url)


def _signature(section) -> tuple:
    """What a section shows: two sections with the same signature render the same."""
    return (section.forum.id, tuple(p.id for p in section.threads), tuple(p.id for p in section.highlights),
            tuple(p.id for p in section.busiest), tuple((r.first.id, r.count) for r in section.replies))

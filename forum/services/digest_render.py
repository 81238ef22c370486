"""The digest's email, rendered once per language and content rather than once per member.

Members of a community mostly get the same sections, so each distinct email (its language
and the posts its sections list) is rendered once, with stand-ins for what is personal: the
greeting's name and the two unsubscribe links, written into each member's copy. Links to
posts are built once per post. The result is the same text as rendering per member.
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace

from flask import current_app

from forum.mail import absolute_url, queue_rendered, render_email, unsubscribe_links

MAX_CACHED = 2000  # distinct emails kept per run; beyond, the cache starts again (memory stays bounded)


class DigestRenderer:
    def __init__(self, frequency: str):
        self.frequency = frequency
        mark = uuid.uuid4().hex  # stand-ins no post or name can contain by chance
        self.name, self.unsubscribe, self.preferences = (f"digest{mark}{what}" for what in ("n", "u", "p"))
        self.rendered: dict[tuple, tuple[str, str, str]] = {}
        self.links: dict[int, str] = {}

    def link(self, post) -> str:
        if post.id not in self.links:
            self.links[post.id] = absolute_url("posts.permalink", post_id=post.id)
        return self.links[post.id]

    def queue(self, user, sections, dedupe_key: str) -> None:
        """Queue `user`'s digest (the caller checked `dedupe_key` is new this period)."""
        locale = user.locale if user.locale in current_app.config["LANGUAGES"] else "es"
        subject, text, html = self._shared(locale, sections)
        unsubscribe_url, preferences_url = unsubscribe_links(user, "digest")
        name = str(user.display_name)
        text = _fill(text, {self.name: name, self.unsubscribe: unsubscribe_url, self.preferences: preferences_url})
        html = _fill(html, {self.name: _html_text(name), self.unsubscribe: _html_attribute(unsubscribe_url),
                            self.preferences: _html_attribute(preferences_url)})
        queue_rendered(to=user, template="digest", dedupe_key=dedupe_key, locale=locale, subject=subject,
                       text=text, html=html, unsubscribe_url=unsubscribe_url)

    def _shared(self, locale: str, sections) -> tuple[str, str, str]:
        key = (locale, tuple(_signature(s) for s in sections))
        if key not in self.rendered:
            if len(self.rendered) >= MAX_CACHED:
                self.rendered.clear()
            self.rendered[key] = render_email(
                "digest", locale, user=SimpleNamespace(display_name=self.name), sections=sections,
                frequency=self.frequency, link=self.link, unsubscribe_url=self.unsubscribe,
                email_preferences_url=self.preferences)
        return self.rendered[key]


def _signature(section) -> tuple:
    """What a section shows: two sections with the same signature render the same."""
    return (section.forum.id, tuple(p.id for p in section.threads), tuple(p.id for p in section.highlights),
            tuple(p.id for p in section.busiest), tuple((r.first.id, r.count) for r in section.replies))


def _fill(body: str, values: dict[str, str]) -> str:
    for mark, value in values.items():
        body = body.replace(mark, value)
    return body


def _html_text(value: str) -> str:
    """Text as the CSS inliner writes it back (html5ever's serializer: only &, no-break space, < and >)."""
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_attribute(value: str) -> str:
    """An attribute value as the CSS inliner writes it back (&, no-break space and the double quote)."""
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;")

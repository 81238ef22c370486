"""One rendering of an email shared by many recipients (digests, welcomes to an imported list).

An email that differs between recipients only by a few personal values (the greeting's name,
links carrying their own token) is rendered once per language and content with stand-ins for
those values, which are then written into each copy, escaped the way the CSS inliner writes
HTML back: the same text as rendering it per person, at a fraction of the cost.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager

from flask import current_app, has_request_context

from forum.mail import render_email

MAX_CACHED = 2000  # distinct renderings kept; beyond, the cache starts again (memory stays bounded)


class SharedEmail:
    def __init__(self, template: str, *, text_fields=(), link_fields=()):
        """`text_fields` appear in the HTML as text (a name), `link_fields` in attributes (an href)."""
        mark = uuid.uuid4().hex  # stand-ins no post, title or name can contain by chance
        self.template = template
        self.marks = {name: f"shared{mark}{name}" for name in (*text_fields, *link_fields)}
        self.links = set(link_fields)
        self.rendered: dict[tuple, tuple[str, str, str]] = {}

    def mark(self, name: str) -> str:
        """The stand-in to pass to the template in place of the personal value `name`."""
        return self.marks[name]

    def render(self, key: tuple, locale: str, **context) -> tuple[str, str, str]:
        """(subject, text, html) with stand-ins, rendered once per `key` (language and content)."""
        key = (locale, *key)
        if key not in self.rendered:
            if len(self.rendered) >= MAX_CACHED:
                self.rendered.clear()
            self.rendered[key] = render_email(self.template, locale, **context)
        return self.rendered[key]

    def fill(self, rendered: tuple[str, str, str], **values: str) -> tuple[str, str, str]:
        subject, text, html = rendered
        for name, value in values.items():
            mark, value = self.marks[name], str(value)
            subject, text = subject.replace(mark, value), text.replace(mark, value)
            html = html.replace(mark, _html_attribute(value) if name in self.links else _html_text(value))
        return subject, text, html


@contextmanager
def email_request_context():
    """One request context for a whole batch, so links and templates do not each build one."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        yield


def _html_text(value: str) -> str:
    """Text as the CSS inliner writes it back (html5ever's serializer: only &, no-break space, < and >)."""
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_attribute(value: str) -> str:
    """An attribute value as the CSS inliner writes it back (&, no-break space and the double quote)."""
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;")

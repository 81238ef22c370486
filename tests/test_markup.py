"""Members' Markdown is rendered once and sanitised: nothing executable survives."""
from html.parser import HTMLParser

import pytest

from forum.markup import render

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "[click](javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p style=\"color:red\" onclick=\"alert(1)\">x</p>",
    "<body onload=alert(1)>",
    "<object data=x.swf></object><embed src=x.swf>",
    "<form action=//evil.example><input name=q></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<a href=x onmouseover=alert(1)>x</a>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<base href=//evil.example/>",
    "<details open ontoggle=alert(1)>",
    "```\n<script>alert(1)</script>\n```",
    "<style>body{display:none}</style>",
]
FORBIDDEN = ["<script", "onerror", "onload", "onclick", "onmouseover", "ontoggle", "javascript:",
             "vbscript:", "<iframe", "<object", "<embed", "<form", "<style", "style=", "<link",
             "<meta", "<base", "data:text", "<svg", "<img"]


class _Elements(HTMLParser):
    """Every tag and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.attributes = set(), []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_nothing_executable_survives(payload):
    html = render(payload).lower()
    elements = _Elements(html)
    assert not elements.tags & {"script", "iframe", "object", "embed", "form", "style", "link", "meta", "base",
                                "svg", "img", "math", "details", "body", "input"}, (payload, html)
    for name, value in elements.attributes:
        assert not name.startswith("on") and name != "style", (payload, html)
        assert not any(bad in value for bad in ("javascript:", "vbscript:", "data:")), (payload, html)
    # Written as text, a payload shows escaped ("&lt;svg/onload=…"): it is what the person typed.
    for bad in FORBIDDEN:
        assert bad not in html or not bad.startswith("<"), (payload, html)


def test_markdown_features_members_use_survive():
    html = render("## Título\n\n**negrita**, *cursiva*\n\n- uno\n- dos\n\n> cita\n\n`código`")
    for tag in ("<h2>", "<strong>", "<em>", "<ul>", "<li>", "<blockquote>", "<code>"):
        assert tag in html


def test_links_get_nofollow_ugc_noopener_including_bare_urls():
    html = render("[ILPES](https://www.cepal.org/es/ilpes) y https://example.org/x")
    assert '<a href="https://www.cepal.org/es/ilpes" rel="nofollow ugc noopener">' in html
    assert '<a href="https://example.org/x" rel="nofollow ugc noopener">' in html


def test_a_level_one_heading_becomes_level_two():
    assert render("# Grande").startswith("<h2>")

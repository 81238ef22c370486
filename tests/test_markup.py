"""Members' Markdown is rendered once and sanitised: nothing executable survives."""
from html.parser import HTMLParser

import pytest

from forum.markup import clean_source, excerpt, paragraph_text, parse, plain_text, render

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
    for bad in (b for b in FORBIDDEN if b.startswith("<")):
        assert bad not in html, (payload, html)


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


def test_the_look_members_know_is_kept():
    html = render("Mis ideas:\n\n1. **uno**\n2. dos\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```\nx = 1 https://a.org\n```\n\n"
                  "línea  \nnueva y `https://b.org` y https://c.org/ruta.")
    assert "<ol>\n<li><strong>uno</strong></li>" in html
    assert '<th class="align-left">a</th>' in html and '<td class="align-right">2</td>' in html
    assert "<pre><code>x = 1 https://a.org\n</code></pre>" in html  # no links inside code
    assert "línea<br>" in html and "<code>https://b.org</code>" in html
    assert '<a href="https://c.org/ruta" rel="nofollow ugc noopener">https://c.org/ruta</a>.' in html


def test_raw_html_on_the_allow_list_stays_and_email_addresses_stay_text():
    html = render("<b>negrita</b>, H<sub>2</sub>O y <span style='x'>sin estilo</span>; ana@example.org")
    assert "<b>negrita</b>, H<sub>2</sub>O y sin estilo; ana@example.org" in html


def test_direction_controls_are_removed():
    assert "\u202e" not in render("precio \u202e001$")


def test_mentions_link_only_existing_handles_outside_code_links_and_addresses():
    document = parse("Hola @Ana y @nadie; `@ana` [@ana](https://x.org) https://x.org/@ana ana@ana.org\n\n> dijo @ben")
    assert document.mention_candidates == {"ana", "nadie", "ben"}
    rendered = document.render({"ana", "ben"}, lambda handle: f"/perfil/{handle}")
    assert rendered.html.count('class="mention"') == 2  # @Ana and the quoted @ben
    assert '<a href="/perfil/ana" class="mention" rel="nofollow ugc noopener">@ana</a>' in rendered.html
    assert "@nadie" in rendered.html and "<code>@ana</code>" in rendered.html
    assert rendered.mentions == {"ana"}  # a mention inside a quote of someone else is not counted
    assert rendered.links == 2  # the link and the bare URL; mentions are not links elsewhere


def test_footnotes_render_with_anchors_of_their_own_document():
    first, second = render("Uno[^1].\n\n[^1]: Nota *uno*."), render("Dos[^1].\n\n[^1]: Nota dos.")
    assert '<section class="footnotes">' in first and "Nota <em>uno</em>." in first
    ids = lambda html: set(__import__("re").findall(r'id="([^"]+)"', html))
    assert ids(first) and not ids(first) & ids(second)  # two posts on one page never share an anchor
    assert 'href="#fnref-' in first and 'class="footnote-backref"' in first


def test_members_cannot_set_their_own_ids_or_page_anchors():
    html = render('<a id="login" href="#login">x</a><li id="fn-zz">y</li>')
    assert 'id="login"' not in html and 'href="#login"' not in html and 'id="fn-zz"' not in html


def test_word_paste_debris_becomes_markdown_footnotes():
    pasted = ("[bookmark: _GoBack]Texto con nota[footnoteRef:2] y otra[footnoteRef:3]. [2:  Primera [con corchetes].] "
              "Sigue. [3: Segunda.]\n\nOtro párrafo [1: no es una nota].")
    cleaned = clean_source(pasted)
    assert cleaned == ("Texto con nota[^2] y otra[^3]. Sigue.\n\nOtro párrafo [1: no es una nota].\n\n"
                       "[^2]: Primera [con corchetes].\n[^3]: Segunda.")
    html = render(cleaned)
    assert html.count('class="footnote-item"') == 2 and "[1: no es una nota]" in html
    assert clean_source(cleaned) == cleaned  # cleaning twice changes nothing
    assert clean_source("a [footnoteRef:1] sin texto") == "a [^1] sin texto"


def test_nothing_is_lost_past_the_nesting_limit():
    for source in ("> " * 40 + "al fondo", "- " * 40 + "al fondo", "> - " * 20 + "al fondo\nperezosa"):
        text = plain_text(render(source))
        assert "al fondo" in text, source
    assert "perezosa" in plain_text(render("> - " * 20 + "al fondo\nperezosa"))


def test_the_parsed_document_is_a_tree_report_writers_can_walk():
    tree = parse("# Título\n\nHola @ana, *mira*[^1].\n\n> cita\n\n[^1]: Nota.").tree()
    kinds = [node.type for node in tree.walk()]
    assert "heading" in kinds and "mention" in kinds and "footnote_ref" in kinds and "blockquote" in kinds
    heading = next(node for node in tree.walk() if node.type == "heading")
    assert heading.tag == "h2"  # the same demotion as the page
    mention = next(node for node in tree.walk() if node.type == "mention")
    assert mention.meta == {"handle": "ana", "quoted": False}


def test_text_helpers_read_the_sanitised_html():
    html = render("Primer **párrafo** &amp; más.\n\nSegundo párrafo, " + "largo " * 60)
    assert plain_text(html).startswith("Primer párrafo & más.\n\nSegundo párrafo")
    assert paragraph_text(html).split("\n\n")[0] == "Primer párrafo & más."
    assert excerpt(html, 40) == "Primer párrafo & más. Segundo párrafo…"  # no comma before the ellipsis

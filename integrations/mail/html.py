"""Letters' HTML is stored sanitised (nh3): no scripts, styles, forms or remote images."""

import html
import re

import nh3

TAGS = {"p", "br", "div", "span", "h1", "h2", "h3", "h4", "ul", "ol", "li", "b", "i", "strong", "em", "u", "s",
        "a", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr"}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}

_BLOCK = re.compile(r"</?(p|br|div|h[1-4]|li|tr|td|th|pre|blockquote|hr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def sanitize(value):
    # Images are dropped: remote ones are tracking pixels, cid: ones are stored as attachments.
    return nh3.clean(value or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True).strip()


def to_text(value):
    """Plain text of (sanitised) HTML, paragraphs on their own lines."""
    text = _TAG.sub("", _BLOCK.sub("\n", value or ""))
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in html.unescape(text).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

"""Stored article HTML is always sanitised with nh3 (form, API and demo data alike)."""

import html
import re

import nh3

TAGS = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "b", "i", "strong", "em", "u", "s", "a", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td", "caption", "code", "pre", "hr", "img"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
              "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


def _image_filter(tag, attr, value):
    # Images only from the app itself (a relative path): no tracking pixels, no mixed content.
    if tag == "img" and attr == "src" and not (value.startswith("/") and not value.startswith("//")):
        return None
    return value


def sanitize(value):
    """Safe HTML from any input: scripts, event handlers, styles and foreign images are dropped;
    links get rel="noopener noreferrer nofollow"."""
    cleaned = nh3.clean(value or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                        link_rel="noopener noreferrer nofollow", attribute_filter=_image_filter,
                        strip_comments=True)
    # An <img> whose src was refused is useless: drop it.
    return re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned).strip()


_BLOCK = re.compile(r"</?(p|br|h[2-4]|li|tr|td|th|pre|blockquote|hr|caption)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(value):
    """Plain text of sanitised HTML (for the search index and snippets): tags are not words."""
    text = _TAG.sub("", _BLOCK.sub(" ", value or ""))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()

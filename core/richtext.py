"""Stored HTML is sanitised with nh3, once, on the way in; each kind of text declares its policy.

Links always get ``rel="noopener noreferrer nofollow"`` and only http(s) and mailto schemes.
"""

import html
import re

import nh3

TEXT_TAGS = frozenset({"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "b", "i", "strong", "em", "u", "s", "a",
                       "blockquote", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr"})
TEXT_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}

_BLOCK = re.compile(r"</?(p|br|div|h[1-6]|li|tr|td|th|pre|blockquote|hr|caption)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def sanitize(value, tags=TEXT_TAGS, attributes=TEXT_ATTRIBUTES, attribute_filter=None):
    return nh3.clean(value or "", tags=set(tags), attributes=attributes, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", attribute_filter=attribute_filter,
                     strip_comments=True).strip()


def to_text(value, lines=True):
    """Plain text of sanitised HTML: block elements end a line (``lines``) or become one space
    (for search indexes and snippets, where tags must not glue words together)."""
    text = html.unescape(_TAG.sub("", _BLOCK.sub("\n", value or "")))
    if not lines:
        return re.sub(r"\s+", " ", text).strip()
    stripped = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(stripped)).strip()

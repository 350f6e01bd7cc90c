"""Stored article HTML is always sanitised (form, API and demo data alike); images only from the
app itself (a relative path): no tracking pixels, no mixed content."""

import re
from functools import partial

from core import richtext

TAGS = richtext.TEXT_TAGS | {"caption", "img"}
ATTRIBUTES = {**richtext.TEXT_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}}


def _image_filter(tag, attr, value):
    if tag == "img" and attr == "src" and not (value.startswith("/") and not value.startswith("//")):
        return None
    return value


def sanitize(value):
    cleaned = richtext.sanitize(value, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_image_filter)
    # An <img> whose src was refused is useless: drop it.
    return re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned).strip()


html_to_text = partial(richtext.to_text, lines=False)

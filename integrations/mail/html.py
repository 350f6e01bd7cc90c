"""Letters' HTML is stored sanitised: no scripts, styles, forms or images (remote ones are
tracking pixels; cid: ones are stored as attachments)."""

from functools import partial

from core import richtext

TAGS = richtext.TEXT_TAGS | {"div", "span", "h1"}

sanitize = partial(richtext.sanitize, tags=TAGS)
to_text = richtext.to_text

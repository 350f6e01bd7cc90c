"""An RFC 5322 message as the intake stores it: addresses, thread ids, text, sanitised HTML, files."""

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.utils import timezone

from . import html

MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class Part:
    name: str
    content_type: str
    content: bytes


@dataclass
class Parsed:
    message_id: str = ""
    in_reply_to: str = ""
    references: list = field(default_factory=list)
    sender: str = ""
    sender_name: str = ""
    recipients: str = ""
    subject: str = ""
    sent_at: object = None
    text: str = ""
    html: str = ""
    attachments: list = field(default_factory=list)

    @property
    def thread_ids(self):
        """Ids this letter answers, the direct parent first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [i for i in reversed(self.references) if i not in ids]


def _header(message, name):
    try:
        return str(message.get(name, "") or "").strip()
    except (ValueError, TypeError, IndexError):  # a malformed header: the letter still comes in
        return ""


def _ids(value):
    return MESSAGE_ID.findall(value or "")


def _date(value):
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.utc)


def _content(part):
    try:
        return part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if part.get_content_maintype() == "text" else payload


def parse(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = parseaddr(_header(message, "From"))
    parsed = Parsed(
        message_id=(_ids(_header(message, "Message-ID")) or [""])[0][:250],
        in_reply_to=(_ids(_header(message, "In-Reply-To")) or [""])[0][:250],
        references=_ids(_header(message, "References")),
        sender=address.strip()[:250], sender_name=name.strip()[:200],
        recipients=", ".join(a for _n, a in getaddresses([_header(message, "To"), _header(message, "Cc")]) if a),
        subject=_header(message, "Subject")[:300], sent_at=_date(_header(message, "Date")),
    )
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    if rich is not None:
        parsed.html = html.sanitize(str(_content(rich)))
    if plain is not None:
        parsed.text = str(_content(plain)).strip()
    elif parsed.html:
        parsed.text = html.to_text(parsed.html)
    for part in message.iter_attachments():
        content = _content(part)
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif isinstance(content, email.message.Message):
            content = content.as_bytes()
        name = part.get_filename() or ("letter.eml" if part.get_content_type() == "message/rfc822" else "attachment")
        parsed.attachments.append(Part(name, part.get_content_type(), content))
    return parsed

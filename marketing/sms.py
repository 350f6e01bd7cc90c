"""SMS gateways and segment counting: the one interface everything that sends SMS uses.

``get_gateway().send(to, text, reference=...)`` hands one message to the configured backend
(``KLIENTURA_SMS_BACKEND``) and returns the provider's message id, or raises:

- ``TemporarySmsError``: try again later (network trouble, timeout, HTTP 429 or 5xx);
- ``PermanentSmsError``: trying again cannot help (HTTP 4xx, an invalid number).

Backends: ``console`` (the default: prints the message and keeps it in ``outbox``, as Django's
console and locmem mail backends do), ``http`` (a generic HTTP gateway configured by the
``KLIENTURA_SMS_HTTP_*`` settings), or the dotted path of a class with the same ``send``.

The queue (marketing/services_sms.py) decides when to call ``send``; a gateway only talks to
the provider. ``reference`` is a stable key of the message (the queue row): the HTTP gateway
passes it on, so a provider that deduplicates can drop the copy a crashed worker may resend.
"""

import base64
import json
import logging
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from http.client import HTTPException

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class SmsError(Exception):
    """Sending failed; see the subclasses for whether to try again."""


class TemporarySmsError(SmsError):
    """Try again later: network error, timeout, HTTP 429 / 5xx."""


class PermanentSmsError(SmsError):
    """Do not try again: the gateway refused the message (HTTP 4xx) or the number is invalid."""


# --- Segments ----------------------------------------------------------------------------------

# GSM 03.38 default alphabet (without ESC) and its extension table, whose characters take two
# septets (ESC + the character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7, UCS2 = "GSM-7", "UCS-2"
# (single message, one part of a concatenated message): the user data header takes 6 bytes.
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsSegments:
    encoding: str  # "GSM-7" or "UCS-2"
    chars: int  # septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one part: 160 / 153 (GSM-7), 70 / 67 (UCS-2)

    @property
    def remaining(self):
        """What still fits in the last part (0 for an empty text)."""
        return self.segments * self.per_segment - self.chars if self.segments else 0


def _units(text):
    """(encoding, [size of each character in septets or UTF-16 code units])."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        return GSM7, [2 if c in GSM7_EXTENSION else 1 for c in text]
    return UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]


def segments(text):
    """How ``text`` travels: encoding, length and number of parts.

    A part of a long message never splits an extension character's escape pair or a UTF-16
    surrogate pair (phones cannot join them back), so a long text may need one part more than
    ``ceil(chars / per_segment)``.
    """
    text = text or ""
    encoding, sizes = _units(text)
    single, part = LIMITS[encoding]
    chars = sum(sizes)
    if chars == 0:
        return SmsSegments(encoding, 0, 0, single)
    if chars <= single:
        return SmsSegments(encoding, chars, 1, single)
    count, used = 1, 0
    for size in sizes:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return SmsSegments(encoding, chars, count, part)


# --- Gateways ----------------------------------------------------------------------------------

def check_number(to):
    if not isinstance(to, str) or not E164.match(to):
        raise PermanentSmsError(f"{to!r} is not a phone number in E.164 form (+ and 7 to 15 digits).")


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str
    reference: str
    message_id: str
    sender: str = ""


# What the console backend "sent", for tests (like django.core.mail.outbox); clear it between tests.
outbox = []


class ConsoleGateway:
    """Sends nothing: writes the message to the console and appends it to ``outbox``."""

    def __init__(self, stream=None):
        self.stream = stream
        self.sender = getattr(settings, "KLIENTURA_SMS_SENDER", "")

    def send(self, to, text, *, reference):
        check_number(to)
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        outbox.append(SentSms(to, text, str(reference), message_id, self.sender))
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {to} from {self.sender or '-'} (reference {reference}, id {message_id}):\n{text}\n"
                     f"{'-' * 79}\n")
        stream.flush()
        return message_id


FIELDS = ("to", "text", "sender", "reference")


class HttpGateway:
    """A generic HTTP SMS API: one request per message, fields named as the provider wants.

    ``config`` keys (the settings without ``KLIENTURA_SMS_HTTP_``): URL, METHOD (GET puts the
    fields in the query string), FORMAT (form or json), FIELDS ({to|text|sender|reference: the
    provider's name, "" to leave it out}), EXTRA_FIELDS (constant fields, e.g. an API id), AUTH
    ("", "bearer", "basic") with TOKEN or USER and PASSWORD, TIMEOUT (seconds), ID_PATH (dotted
    path of the message id in a JSON response, list indexes as numbers: "messages.0.id"),
    REFERENCE_HEADER (the idempotency header, "" for none). SENDER is the sender name.
    """

    def __init__(self, config=None):
        self.config = config if config is not None else http_config()
        if not self.config.get("URL"):
            raise ImproperlyConfigured("KLIENTURA_SMS_BACKEND=http needs KLIENTURA_SMS_HTTP_URL.")

    def payload(self, to, text, reference):
        values = {"to": to, "text": text, "sender": self.config.get("SENDER", ""), "reference": str(reference)}
        names = {**{f: f for f in FIELDS}, **(self.config.get("FIELDS") or {})}
        data = dict(self.config.get("EXTRA_FIELDS") or {})
        for field in FIELDS:
            if names[field] and (values[field] or field != "sender"):
                data[names[field]] = values[field]
        return data

    def request(self, to, text, reference):
        cfg = self.config
        method = (cfg.get("METHOD") or "POST").upper()
        url, data = cfg["URL"], self.payload(to, text, reference)
        headers = {"Accept": "application/json", "User-Agent": "Klientura-SMS/1"}
        body = None
        if method == "GET":
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + urllib.parse.urlencode(data)
        elif cfg.get("FORMAT") == "json":
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        else:
            body, headers["Content-Type"] = urllib.parse.urlencode(data).encode(), \
                "application/x-www-form-urlencoded; charset=utf-8"
        if cfg.get("REFERENCE_HEADER"):
            headers[cfg["REFERENCE_HEADER"]] = str(reference)
        auth = cfg.get("AUTH") or ""
        if auth == "bearer":
            headers["Authorization"] = f"Bearer {cfg.get('TOKEN', '')}"
        elif auth == "basic":
            pair = f"{cfg.get('USER', '')}:{cfg.get('PASSWORD', '')}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        # The scheme is checked in send() before the request is opened.
        return urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310

    def send(self, to, text, *, reference):
        check_number(to)
        request = self.request(to, text, reference)
        if urllib.parse.urlsplit(request.full_url).scheme not in ("http", "https"):
            raise ImproperlyConfigured("KLIENTURA_SMS_HTTP_URL must be an http:// or https:// address.")
        try:
            with urllib.request.urlopen(request, timeout=self.config.get("TIMEOUT") or 10) as response:  # noqa: S310
                raw = response.read(1_000_000)
        except urllib.error.HTTPError as exc:
            detail = _body(exc)
            message = f"HTTP {exc.code} {exc.reason}{': ' + detail if detail else ''}"
            if exc.code == 429 or exc.code >= 500:
                raise TemporarySmsError(message) from None
            raise PermanentSmsError(message) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TemporarySmsError(f"{type(reason).__name__}: {reason}".rstrip(": ")) from None
        return self.message_id(raw)

    def message_id(self, raw):
        """The provider's id from the response; "" when not configured or not found (the
        message was accepted all the same: sending it again would duplicate it)."""
        path = self.config.get("ID_PATH") or ""
        if not path:
            return ""
        try:
            value = json.loads(raw.decode("utf-8"))
            for key in path.split("."):
                value = value[int(key)] if isinstance(value, list) else value[key]
        except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
            logger.warning("SMS gateway response has no message id at %r: %r", path, raw[:200])
            return ""
        return "" if value is None else str(value)[:200]


def _body(exc):
    try:
        return exc.read(500).decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 — the status is what matters; the body is a courtesy
        return ""


def http_config():
    """The HTTP gateway's configuration from the settings."""
    prefix = "KLIENTURA_SMS_HTTP_"
    keys = ("URL", "METHOD", "FORMAT", "FIELDS", "EXTRA_FIELDS", "AUTH", "TOKEN", "USER", "PASSWORD", "TIMEOUT",
            "ID_PATH", "REFERENCE_HEADER")
    config = {key: getattr(settings, prefix + key, None) for key in keys}
    config["SENDER"] = getattr(settings, "KLIENTURA_SMS_SENDER", "")
    return config


BACKENDS = {"console": ConsoleGateway, "http": HttpGateway}


def get_gateway():
    """The backend named by ``KLIENTURA_SMS_BACKEND``: console (default), http, or a class path."""
    name = getattr(settings, "KLIENTURA_SMS_BACKEND", "console") or "console"
    if name in BACKENDS:
        return BACKENDS[name]()
    try:
        return import_string(name)()
    except ImportError as exc:
        raise ImproperlyConfigured(f"KLIENTURA_SMS_BACKEND={name!r}: use console, http or a class path.") from exc

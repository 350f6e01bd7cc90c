"""Reaching a webhook's target safely: resolve once, refuse internal addresses, connect to the
address that was checked.

A webhook URL is typed by a user, and the worker runs inside the company's network: without a
guard, a subscription could make the worker POST to the database's admin port, a router or the
cloud's metadata service (169.254.169.254) — server-side request forgery. So:

1. the host is resolved ONCE (``resolve``, a seam tests replace with a stub);
2. if any of its addresses is loopback, private, link-local, multicast, reserved, unspecified
   or otherwise not globally routable — IPv4-mapped IPv6 judged as its IPv4 — the target is
   refused, unless the subscription's ``allow_private`` flag (set by an administrator) allows it;
3. the connection goes to that very address (no second lookup a DNS rebinding could answer
   differently), with the original ``Host`` header, and for https the TLS server name (SNI) and
   certificate check against the host name;
4. redirects are not followed (a 3xx is an answer like any non-2xx), and no proxy is used.

The check on save (``check_url_on_save``) gives the user a clear error early; the check at send
time is the one that counts.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TIMEOUT = 10  # seconds, for connecting and for each read
MAX_RESPONSE = 2000  # characters of the response body kept in the log
USER_AGENT = "Klientura-Webhooks/1"


class Refused(Exception):
    """The target may not be reached (bad URL, internal address): no retry helps."""


class Unreachable(Exception):
    """The host could not be resolved or connected to: retried later."""


def resolve(host, port):
    """Every address ``host`` resolves to (strings), in the resolver's order. Tests replace this."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_forbidden(address):
    """True for any address that is not a public, unicast internet address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id ("fe80::1%eth0")
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.version == 6 and (ip.sixtofour is not None or ip.teredo is not None):
        return True  # tunnels that embed an IPv4 address the check above would not see
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (an IPv6 literal without brackets)
    port: int
    path: str  # path and query

    @classmethod
    def parse(cls, url):
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Refused(_("The address is not a valid URL.")) from exc
        if parts.scheme not in ("http", "https"):
            raise Refused(_("Only http:// and https:// addresses can receive webhooks."))
        if not parts.hostname:
            raise Refused(_("The address has no host name."))
        if parts.username or parts.password:
            raise Refused(_("Put no user name or password into the address; check the signature instead."))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def literal_address(host):
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def pick_address(target, allow_private):
    """The one address to connect to: resolved once, every answer checked."""
    literal = literal_address(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolve(target.host, target.port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise Unreachable(_("The host name %(host)s could not be resolved: %(error)s")
                              % {"host": target.host, "error": exc}) from exc
        if not addresses:
            raise Unreachable(_("The host name %(host)s has no address.") % {"host": target.host})
    if not allow_private:
        bad = [a for a in addresses if is_forbidden(a)]
        if bad:
            raise Refused(_("%(host)s is a private, loopback, link-local or otherwise internal address "
                            "(%(addresses)s): only an administrator may allow such targets.")
                          % {"host": target.host, "addresses": ", ".join(bad)})
    return addresses[0]


def check_url_on_save(url, allow_private):
    """A ValidationError on ``url`` for a target that is refused now. A host that does not resolve
    (yet) is accepted: the send-time check decides, and retries."""
    try:
        pick_address(Target.parse(url), allow_private)
    except Refused as exc:
        raise ValidationError({"url": str(exc)}) from None
    except Unreachable:
        pass


@dataclass
class Response:
    address: str
    status: int
    body: str


def _connection(target, address, timeout):
    if target.scheme == "https":
        context = ssl.create_default_context()
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect_to_checked_address(_address, timeout=timeout, source_address=None):
        # http.client would resolve ``target.host`` again here; the checked address is used
        # instead. For https the socket is then wrapped with server_hostname=target.host
        # (SNI and the certificate's host name check).
        return socket.create_connection((address, target.port), timeout, source_address)

    conn._create_connection = connect_to_checked_address
    return conn


def post(url, body, headers, allow_private, timeout=TIMEOUT):
    """POST ``body`` (bytes) to ``url`` after the checks above; returns the Response (any status).

    Raises Refused (never retried) or Unreachable (retried) before anything is sent; network
    errors while talking are raised as they are (OSError, http.client.HTTPException).
    """
    target = Target.parse(url)
    address = pick_address(target, allow_private)
    conn = _connection(target, address, timeout)
    try:
        conn.putrequest("POST", target.path, skip_accept_encoding=True)
        for name, value in {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                            "Content-Length": str(len(body)), **headers}.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        raw = response.read(MAX_RESPONSE * 4)
        text = raw.decode(response.headers.get_content_charset() or "utf-8", errors="replace")
        return Response(address, response.status, text[:MAX_RESPONSE])
    finally:
        conn.close()


def elapsed_ms(started):
    return max(int((time.monotonic() - started) * 1000), 0)

"""A real HTTP receiver on loopback for the webhook tests, and the docs' signature check."""

import hashlib
import hmac
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from integrations.models import Event, WebhookSubscription


def verify(secret, headers, raw_body, tolerance=300, now=None):
    """The receiver's check, as in docs/webhooks.md: True if the request is genuine and fresh."""
    timestamp = headers.get("X-Klientura-Timestamp", "")
    signature = headers.get("X-Klientura-Signature", "")
    if not timestamp.isdigit() or not signature.startswith("sha256="):
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False  # too old (or from the future): a replay
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.removeprefix("sha256="))


TLS_PEM = Path(__file__).parent / "samples" / "webhook-tls.pem"  # self-signed for hooks.example.test


class Receiver:
    """Answers each POST with the next status of ``script`` (the last one repeats); with ``tls``
    over HTTPS with the test certificate, recording the TLS server name each client asked for."""

    def __init__(self, tls=False):
        self.script = [200]
        self.requests = []
        self.server_names = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                status = receiver.script.pop(0) if len(receiver.script) > 1 else receiver.script[0]
                answer = f"answer {status} " + "x" * 5000  # longer than the log keeps
                raw = answer.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/klientura?x=1"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS_PEM)
            context.sni_callback = lambda sock, name, ctx: receiver.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    """A loopback port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subscription(url, events=None, allow_private=True, **extra):
    return WebhookSubscription.objects.create(name=extra.pop("name", "Receiver"), url=url,
                                              events=events or list(Event.values), allow_private=allow_private,
                                              **extra)

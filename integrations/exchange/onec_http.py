"""The HTTP exchange protocol 1C:УТ / УНФ / Бухгалтерия speak to a site (CommerceML 2).

One URL, ``/integrations/exchange/1c/``, the step in the query string:

* ``?type=catalog|sale&mode=checkauth`` with HTTP basic auth of an integration user (an
  administrator or a head): ``success``, the cookie name and its value. Every later step sends
  the cookie back (valid one hour).
* ``mode=init``: ``zip=yes`` (or ``zip=no`` with ``KLIENTURA_1C_ZIP=0``) and ``file_limit`` (the
  largest piece 1C may send at once).
* ``mode=file&filename=import.xml`` (POST, the body is the file, possibly in several pieces):
  stored for the session; for ``type=sale`` (orders from 1C) imported at once. With ``zip=yes``
  the file is an archive (``*.zip``, appended the same way): unpacked safely (``archives``) at the
  first ``mode=import`` — for ``type=sale`` as soon as it is complete. A ZIP is taken whatever
  ``init`` answered.
* ``type=catalog&mode=import&filename=import.xml``: the stored file imported (counterparties,
  groups, products, prices); ``success`` or ``failure`` and the reason — nothing is kept then.
* ``type=sale&mode=query``: the orders changed since the last ``mode=success`` as CommerceML;
  ``type=sale&mode=success``: 1C confirms it took them.

Answers are plain text, as 1C expects; each step is written to the exchange log.
"""

import base64
import binascii
import datetime as dt
import re
import shutil
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from core import access
from sales.models import Order

from ..models import ExchangeLog, ExternalId
from . import archives, commerceml

COOKIE = "klientura_1c"
SALT = "integrations.exchange.1c"
SESSION_AGE = 3600
FILE_LIMIT = 10 * 1024 * 1024
FILE_NAME = re.compile(r"^[\w.\-]{1,100}$")


def answer(*lines, status=200):
    return HttpResponse("\n".join(lines) + "\n", status=status, content_type="text/plain; charset=utf-8")


def failure(message, status=200):
    return answer("failure", message, status=status)


def session_dir(session):
    return Path(settings.MEDIA_ROOT) / "exchange-1c" / session


def log(user, exchange_type, mode, direction, file_name="", ok=True, counts=None, message=""):
    return ExchangeLog.objects.create(
        user=user, exchange_type=exchange_type, mode=mode, direction=direction, file_name=file_name[:255], ok=ok,
        created=counts.created if counts else 0, updated=counts.updated if counts else 0,
        unchanged=counts.unchanged if counts else 0, message=message)


def forget_old_sessions():
    """Remove the folders of sessions past their age: what 1C sent and did not import (pictures)."""
    root = Path(settings.MEDIA_ROOT) / "exchange-1c"
    cutoff = timezone.now().timestamp() - SESSION_AGE
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def may_exchange(user):
    return bool(user and user.is_active and access.can_assign(user))


@method_decorator(csrf_exempt, name="dispatch")
class ExchangeView(View):
    """1C's exchange endpoint (no login page, no CSRF: basic auth, then the session cookie)."""

    def dispatch(self, request, *args, **kwargs):
        exchange_type, mode = request.GET.get("type", ""), request.GET.get("mode", "")
        if exchange_type not in ("catalog", "sale"):
            return failure("type must be catalog or sale", status=400)
        if mode == "checkauth":
            return self.checkauth(request, exchange_type)
        found = self.session(request)
        if found is None:
            return failure("not authorised: call mode=checkauth first", status=401)
        user, session = found
        handler = getattr(self, f"{exchange_type}_{mode}", None) or getattr(self, f"any_{mode}", None)
        if handler is None:
            return failure(f"unknown mode {mode!r} for type={exchange_type}", status=400)
        return handler(request, user, session, exchange_type)

    # --- Authentication ------------------------------------------------------------------------

    def checkauth(self, request, exchange_type):
        header = request.headers.get("Authorization", "")
        kind, _sep, encoded = header.partition(" ")
        user = None
        if kind.lower() == "basic":
            try:
                username, _sep, password = base64.b64decode(encoded).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                username = password = ""
            if username:
                user = authenticate(request=request, username=username, password=password)
        if user is None:
            response = failure("wrong user name or password", status=401)
            response["WWW-Authenticate"] = 'Basic realm="1C exchange"'
            return response
        if not may_exchange(user):
            log(user, exchange_type, "checkauth", ExchangeLog.Direction.IMPORT, ok=False,
                message="the user may not exchange with 1C (administrators and heads only)")
            return failure("this user may not exchange with 1C", status=403)
        value = signing.dumps({"u": user.pk, "s": uuid.uuid4().hex}, salt=SALT)
        return answer("success", COOKIE, value)

    def session(self, request):
        value = request.COOKIES.get(COOKIE, "")
        try:
            data = signing.loads(value, salt=SALT, max_age=SESSION_AGE)
        except signing.BadSignature:
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=data.get("u")).first()
        session = str(data.get("s", ""))
        if not may_exchange(user) or not re.fullmatch(r"[0-9a-f]{32}", session):
            return None
        return user, session

    # --- Steps ---------------------------------------------------------------------------------

    def any_init(self, request, user, session, exchange_type):
        shutil.rmtree(session_dir(session), ignore_errors=True)
        forget_old_sessions()
        return answer("zip=yes" if settings.KLIENTURA_1C_ZIP else "zip=no", f"file_limit={FILE_LIMIT}")

    def _file_name(self, request):
        name = request.GET.get("filename", "")
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
        return name if FILE_NAME.match(name) and name not in (".", "..") else None

    def any_file(self, request, user, session, exchange_type):
        if request.method != "POST":
            return failure("send the file with POST", status=405)
        name = self._file_name(request)
        if name is None:
            return failure("filename: letters, digits, dots, dashes and underscores only", status=400)
        picture = archives.picture_path(request.GET.get("filename", ""))
        if picture is None and not name.lower().endswith((".xml", ".zip")):
            return answer("success")  # other files: not taken, not stored
        body = request.body
        if len(body) > FILE_LIMIT:
            return failure(f"a piece may be at most file_limit={FILE_LIMIT} bytes", status=413)
        folder = session_dir(session)
        path = folder / archives.FILES / picture if picture else folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size + len(body) > commerceml.MAX_SIZE:
            return failure("the file is larger than 50 MB", status=413)
        with path.open("ab") as out:
            out.write(body)
        if exchange_type != "sale" or picture:
            return answer("success")
        # Orders from 1C: taken at once — an archive once its last piece has come.
        if not name.lower().endswith(".zip"):
            return self._import(user, session, exchange_type, "file", name)
        if not zipfile.is_zipfile(path):
            return answer("success")
        try:
            names = self._unpack(user, session, exchange_type, "file")
        except archives.ArchiveError as exc:
            return failure(str(exc))
        for xml in names:
            response = self._import(user, session, exchange_type, "file", xml)
            if not response.content.startswith(b"success"):
                return response
        return answer("success")

    def _unpack(self, user, session, exchange_type, mode):
        """Unpack the session's archives (each once); ArchiveError is logged, the archive dropped."""
        names = []
        for path in sorted(session_dir(session).glob("*.zip")) if session_dir(session).exists() else ():
            try:
                names += archives.unpack(path, session_dir(session))
            except archives.ArchiveError as exc:
                log(user, exchange_type, mode, ExchangeLog.Direction.IMPORT, path.name, ok=False, message=str(exc))
                raise
            finally:
                path.unlink(missing_ok=True)
        return names

    def catalog_import(self, request, user, session, exchange_type):
        name = self._file_name(request)
        if name is None:
            return failure("filename: letters, digits, dots, dashes and underscores only", status=400)
        try:
            self._unpack(user, session, exchange_type, "import")
        except archives.ArchiveError as exc:
            return failure(str(exc))
        return self._import(user, session, exchange_type, "import", name)

    def _import(self, user, session, exchange_type, mode, name):
        path = session_dir(session) / name
        if not name.lower().endswith(".xml"):
            return answer("success")  # pictures and other attachments: not taken
        if not path.exists():
            return failure(f"{name}: no such file in this session (send it with mode=file first)")
        try:
            counts = commerceml.import_document(path.read_bytes(), user, pictures=self._pictures(session))
        except commerceml.ExchangeError as exc:
            log(user, exchange_type, mode, ExchangeLog.Direction.IMPORT, name, ok=False, message=str(exc))
            return failure(str(exc))
        finally:
            path.unlink(missing_ok=True)
        log(user, exchange_type, mode, ExchangeLog.Direction.IMPORT, name, counts=counts, message=counts.summary())
        return answer("success")

    def _pictures(self, session):
        """Where the pictures 1C sent in this session are (from an archive or one by one)."""
        folder = session_dir(session) / archives.FILES

        def find(name):
            relative = archives.picture_path(name)
            path = folder / relative if relative else None
            return path if path is not None and path.is_file() else None

        return find

    def sale_query(self, request, user, session, exchange_type):
        # Orders changed since the query 1C last confirmed (its time is in the "success" entry).
        confirmed = (ExchangeLog.objects.filter(exchange_type="sale", mode="success", ok=True)
                     .order_by("-started_at", "-pk").values_list("message", flat=True).first())
        # Orders in the trash go too when 1C knows them: it reads their deletion mark.
        known = ExternalId.objects.filter(kind=ExternalId.Kind.ORDER).values("object_id")
        orders = (Order.all_objects.restrict(user).filter(Q(deleted_at__isnull=True) | Q(pk__in=known))
                  .order_by("date", "pk"))
        try:
            since = dt.datetime.fromisoformat(confirmed) if confirmed else None
        except ValueError:
            since = None
        if since is not None:
            orders = orders.filter(updated_at__gte=since)
        count = orders.count()
        data = commerceml.export_orders(orders)
        log(user, exchange_type, "query", ExchangeLog.Direction.EXPORT, "orders.xml",
            message=f"{count} orders")
        return HttpResponse(data, content_type="application/xml; charset=utf-8")

    def sale_success(self, request, user, session, exchange_type):
        query = (ExchangeLog.objects.filter(exchange_type="sale", mode="query", user=user)
                 .order_by("-started_at", "-pk").values_list("started_at", flat=True).first())
        log(user, exchange_type, "success", ExchangeLog.Direction.EXPORT,
            message=(query or timezone.now()).isoformat())
        return answer("success")

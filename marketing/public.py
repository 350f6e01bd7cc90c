"""The public side of the web forms: what a company's site calls, without a login.

``GET /f/<token>/challenge/`` gives an ALTCHA proof-of-work challenge (signed, valid ten
minutes); ``POST /f/<token>/`` takes a submission and makes an inquiry. A post is refused, with a
JSON error naming the field, when the form is unknown or off, the site is not among the form's
allowed origins, the body is too large, the hidden honeypot field is filled, the address has
posted too often, the proof of work is missing, wrong, expired or already spent, or a field is
invalid. No third-party service is involved.
"""

import datetime
import functools
from pathlib import Path

import altcha
from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.auth import client_ip

from .models import FieldMode, Inquiry, UsedChallenge, WebForm, WebFormHit

HONEYPOT = "website"  # a field people never see (hidden off-screen) and bots fill in
PAYLOAD = "altcha"  # the widget's hidden field
UTM = ("utm_source", "utm_medium", "utm_campaign")
MAX_BODY = 16 * 1024
LIMITS = {"person_name": 200, "company": 200, "phone": 50, "email": 254, "message": 4000}
CHALLENGE_TTL = datetime.timedelta(minutes=10)


# The scripts the snippet loads, served here with CORS: a module script from another site needs
# it, and a proxy serving /static/ may not send it.
ASSETS = {"altcha.js": "vendor/altcha/altcha.min.js", "webform.js": "marketing/webform.js"}


@functools.cache
def asset_bytes(name):
    found = finders.find(ASSETS[name])
    return Path(found).read_bytes() if found else None


@require_http_methods(["GET"])
def asset(request, name):
    body = asset_bytes(name) if name in ASSETS else None
    if body is None:
        raise Http404
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def hmac_secret():
    return salted_hmac("klientura.webforms.altcha", "challenge").hexdigest()


def error(status, errors, web_form=None, request=None):
    return cors(JsonResponse({"ok": False, "errors": errors}, status=status), web_form, request)


def cors(response, web_form, request):
    """Let the form's own sites (any site when it names none) read the answer."""
    origin = request.headers.get("Origin", "") if request is not None else ""
    if web_form is not None and origin and origin_allowed(web_form, origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Vary"] = "Origin"
    return response


def origin_allowed(web_form, origin):
    allowed = web_form.origins()
    return not allowed or origin.rstrip("/") in allowed


def live_form(token):
    return WebForm.objects.filter(is_active=True, token=token).first()


def no_form():
    return error(404, {"__all__": [_("There is no such form, or it is switched off.")]})


@require_http_methods(["GET", "OPTIONS"])
def challenge(request, token):
    web_form = live_form(token)
    if web_form is None:
        return no_form()
    if request.method == "OPTIONS":
        return cors(JsonResponse({}), web_form, request)
    made = altcha.create_challenge(
        algorithm="PBKDF2/SHA-256", cost=settings.KLIENTURA_ALTCHA_COST,
        expires_at=timezone.now() + CHALLENGE_TTL, data={"form": web_form.token}, hmac_secret=hmac_secret())
    return cors(JsonResponse(made.to_dict()), web_form, request)


class SubmissionForm(forms.Form):
    """The fields a web form asks, with the limits a public endpoint needs."""

    def __init__(self, *args, web_form, **kwargs):
        super().__init__(*args, **kwargs)
        for name, mode in web_form.asked():
            field_class = forms.EmailField if name == "email" else forms.CharField
            self.fields[name] = field_class(required=mode == FieldMode.REQUIRED, max_length=LIMITS[name])
        for name in UTM:
            self.fields[name] = forms.CharField(required=False, max_length=100)


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def submit(request, token):
    web_form = live_form(token)
    if web_form is None:
        return no_form()
    if request.method == "OPTIONS":
        return cors(JsonResponse({}), web_form, request)
    origin = request.headers.get("Origin", "")
    if origin and not origin_allowed(web_form, origin):
        return error(403, {"__all__": [_("This site may not post to the form.")]})
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY or len(request.body) > MAX_BODY:
        return error(413, {"__all__": [_("The submission is too large.")]}, web_form, request)
    if request.POST.get(HONEYPOT):
        return error(400, {HONEYPOT: [_("This field must stay empty.")]}, web_form, request)
    if over_the_limit(web_form, client_ip(request)):
        return error(429, {"__all__": [_("Too many submissions from your address: try again later.")]},
                     web_form, request)
    problem = check_proof_of_work(request.POST.get(PAYLOAD, ""), web_form)
    if problem:
        return error(400, {PAYLOAD: [problem]}, web_form, request)
    form = SubmissionForm(request.POST, web_form=web_form)
    if not form.is_valid():
        return error(400, {name: [e["message"] for e in errors]
                           for name, errors in form.errors.get_json_data().items()}, web_form, request)
    inquiry = Inquiry(channel=Inquiry.Channel.WEB_FORM, campaign=web_form.campaign, lead_source=web_form.lead_source,
                      responsible=web_form.responsible, **{k: v for k, v in form.cleaned_data.items() if v})
    try:
        inquiry.full_clean()
    except forms.ValidationError as exc:
        return error(400, exc.message_dict, web_form, request)
    inquiry.save()
    return cors(JsonResponse({"ok": True, "message": web_form.success_message}, status=201), web_form, request)


def over_the_limit(web_form, address):
    """Count this post; True when the address has posted more than the limit within the window."""
    now = timezone.now()
    since = now - datetime.timedelta(seconds=settings.KLIENTURA_WEBFORM_WINDOW)
    WebFormHit.objects.filter(at__lt=since).delete()
    WebFormHit.objects.create(web_form=web_form, address=address or "?", at=now)
    recent = WebFormHit.objects.filter(web_form=web_form, address=address or "?", at__gte=since).count()
    return recent > settings.KLIENTURA_WEBFORM_RATE


def check_proof_of_work(payload, web_form):
    """None when the payload solves a challenge of this form that has not been spent; else why not."""
    if not payload:
        return _("Confirm that you are not a robot.")
    failed = _("The check did not pass: reload the page and try again.")
    try:
        result = altcha.verify_solution(payload, hmac_secret())
        challenge = altcha.Payload.from_base64(payload).challenge
    except Exception:  # noqa: BLE001  a forged payload: not base64, not JSON, the wrong shape
        return failed
    # Signed by us (so not expired and for a form of ours), and for this very form.
    if not result.verified or (challenge.parameters.data or {}).get("form") != web_form.token:
        return failed
    try:
        with transaction.atomic():
            UsedChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
            UsedChallenge.objects.create(signature=challenge.signature[:128],
                                         expires_at=timezone.now() + CHALLENGE_TTL)
    except IntegrityError:
        return _("This check was already used: reload the page and try again.")
    return None

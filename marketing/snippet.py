"""The HTML a company pastes on its site for a web form (shown on the form's page in Klientura)."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import FieldMode, Inquiry
from .public import HONEYPOT, LIMITS

INPUT_TYPES = {"phone": "tel", "email": "email"}


def labels():
    return {"person_name": _("Your name"), "company": _("Company"), "phone": _("Phone"), "email": _("Email"),
            "message": _("Message")}


def snippet(web_form, base_url):
    """The snippet in the current language; ``base_url``: how the site reaches Klientura."""
    base_url = base_url.rstrip("/")
    names = labels()
    fields = [{"name": name, "label": names[name], "required": mode == FieldMode.REQUIRED,
               "type": INPUT_TYPES.get(name, "text"), "max": LIMITS[name], "textarea": name == "message"}
              for name, mode in web_form.asked()]
    return render_to_string("marketing/webform_snippet.html", {
        "form": web_form, "fields": fields, "honeypot": HONEYPOT, "channel": Inquiry.Channel.WEB_FORM,
        "action": base_url + reverse("webforms:submit", args=[web_form.token]),
        "challenge": base_url + reverse("webforms:challenge", args=[web_form.token]),
        "altcha_js": base_url + reverse("webforms:asset", args=["altcha.js"]),
        "form_js": base_url + reverse("webforms:asset", args=["webform.js"]),
    }).strip()

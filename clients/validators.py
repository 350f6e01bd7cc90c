"""Tax ids, phones and emails: validation and normalisation used by forms, API and imports."""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.md import idno
from stdnum.ro import cui
from stdnum.ru import inn, ogrn

KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


def _digits(value):
    return re.sub(r"\D", "", value or "")


def okpo_is_valid(value):
    """OKPO: 8 digits (organisations) or 10 (entrepreneurs) with a mod-11 check digit."""
    if not re.fullmatch(r"\d{8}|\d{10}", value):
        return False
    body, check = [int(c) for c in value[:-1]], int(value[-1])
    for start in (1, 3):
        total = sum(d * ((start + i - 1) % 10 + 1) for i, d in enumerate(body)) % 11
        if total < 10:
            return total == check
    return check == 0


def tax_id_name(country):
    """What a tax id is called in ``country``: a Romanian CUI is not an «ИНН» in any language."""
    return {"RU": _("INN"), "RO": "CUI", "MD": "IDNO"}.get(country) or _("Tax id")


def clean_tax_id(value, country, kind):
    """Normalised tax id or ValidationError. INN for RU, CUI for RO, IDNO for MD."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    try:
        if country == "RU":
            value = inn.validate(value)
            expected = 10 if kind == "legal" else 12
            if len(value) != expected:
                raise ValidationError(
                    _("INN of a legal entity has 10 digits, of an individual 12.")
                )
            return value
        if country == "RO":
            return cui.validate(value.removeprefix("RO"))
        if country == "MD":
            return idno.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(_("%(name)s checksum does not match: check the digits.")
                              % {"name": tax_id_name(country)}) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(_("Not a valid %(name)s.") % {"name": tax_id_name(country)}) from None
    return value


def clean_kpp(value):
    value = (value or "").strip().upper()
    if value and not KPP_RE.match(value):
        raise ValidationError(_("KPP has 9 characters: 4 digits, 2 digits or letters, 3 digits."))
    return value


def clean_ogrn(value, kind):
    value = _digits(value) if value else ""
    if not value:
        return ""
    try:
        value = ogrn.validate(value)
    except stdnum_errors.ValidationError:
        raise ValidationError(_("OGRN is not valid: check the digits.")) from None
    if kind == "legal" and len(value) != 13:
        raise ValidationError(_("OGRN of a legal entity has 13 digits."))
    if kind == "individual" and len(value) != 15:
        raise ValidationError(_("OGRNIP of an entrepreneur has 15 digits."))
    return value


def clean_okpo(value):
    value = (value or "").strip()
    if value and not okpo_is_valid(value):
        raise ValidationError(_("OKPO is not valid: 8 or 10 digits with a check digit."))
    return value


def parse_phone(value, region=None):
    try:
        number = phonenumbers.parse(value, region or settings.KLIENTURA_COUNTRY)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def normalize_phone(value, region=None):
    """E.164 form of a phone number, or ValidationError."""
    number = parse_phone(value, region)
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value):
    """Human form of a stored E.164 number; anything else is returned unchanged."""
    number = parse_phone(value or "")
    if number is None:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_digits(query):
    """Digits to look for when a search query looks like a phone number, else None."""
    digits = _digits(query)
    if len(digits) < 5 or len(digits) < len(re.sub(r"[\s()+\-.]", "", query)):
        return None
    number = parse_phone(query)
    if number is not None and phonenumbers.is_valid_number(number):
        return _digits(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return digits


def normalize_email(value):
    value = (value or "").strip()
    validate_email(value)
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"

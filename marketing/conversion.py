"""Turning an inquiry into a client, a contact person and a deal (SPEC §6, seed 002)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import ContactInfo, ContactKind, ContactPerson, Counterparty, CounterpartyKind
from clients.services import find_duplicates
from core import access
from sales.models import Deal, Pipeline
from sales.services.stages import stage_entered

from .models import DealCampaign, Inquiry


def duplicates(inquiry, user, name=None):
    """Likely existing clients of the inquiry (the client wizard's check): [{counterparty, reasons,
    visible}] — a client the user may not see is named but cannot be chosen."""
    found = find_duplicates(name=name if name is not None else (inquiry.company or inquiry.person_name),
                            phones=[inquiry.phone] if inquiry.phone else [],
                            emails=[inquiry.email] if inquiry.email else [])
    visible = set(Counterparty.objects.restrict(user).filter(pk__in=[cp.pk for cp, _r in found])
                  .values_list("pk", flat=True))
    return [{"counterparty": cp, "reasons": reasons, "visible": cp.pk in visible} for cp, reasons in found]


def split_name(person_name):
    """(last name, first name) from "Иванов Пётр" / "Пётр Иванов" is ambiguous: the first word is
    taken as the last name, as Russian forms write it; the user corrects it in the form."""
    parts = person_name.split()
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


def convert(inquiry, user, *, counterparty=None, name="", kind=CounterpartyKind.LEGAL, last_name="", first_name="",
            deal_title="", create_deal=True):
    """Make the inquiry's client (or use ``counterparty``), its contact person and a deal, link them
    to the inquiry and mark it converted; all or nothing. Returns the updated inquiry."""
    with transaction.atomic():
        inquiry = Inquiry.objects.restrict(user, access.CHANGE).select_for_update().filter(pk=inquiry.pk).first()
        if inquiry is None:
            raise PermissionDenied
        if inquiry.state == Inquiry.State.CONVERTED:
            raise ValidationError(_("The inquiry is already converted."))
        owner = inquiry.responsible or user
        if counterparty is None:
            if not access.can(user, access.ADD, Counterparty):
                raise PermissionDenied
            counterparty = _new_client(inquiry, name, kind, owner)
        elif not Counterparty.objects.restrict(user).filter(pk=counterparty.pk).exists():
            raise PermissionDenied
        person = _new_person(inquiry, counterparty, last_name, first_name)
        _add_contacts(inquiry, counterparty, person)
        deal = _new_deal(inquiry, counterparty, deal_title, owner, user) if create_deal else None
        inquiry.counterparty, inquiry.deal = counterparty, deal
        inquiry.state, inquiry.converted_at = Inquiry.State.CONVERTED, timezone.now()
        inquiry.responsible = owner
        inquiry.save()
    return inquiry


def _new_client(inquiry, name, kind, owner):
    name = (name or inquiry.company or inquiry.person_name).strip()
    client = Counterparty(name=name, kind=kind, main_manager=owner, is_client=True)
    client.full_clean()
    client.save()
    return client


def _new_person(inquiry, counterparty, last_name, first_name):
    if not last_name.strip():
        return None
    person = ContactPerson(counterparty=counterparty, last_name=last_name.strip(), first_name=first_name.strip(),
                           responsible=inquiry.responsible)
    person.full_clean()
    person.save()
    return person


def _add_contacts(inquiry, counterparty, person):
    """The inquiry's phone and email, on the contact person if there is one; none twice."""
    for kind, value in ((ContactKind.PHONE, inquiry.phone), (ContactKind.EMAIL, inquiry.email)):
        if not value:
            continue
        existing = ContactInfo.objects.filter(counterparty=counterparty, value=value)
        if existing.exists():
            continue
        info = ContactInfo(counterparty=counterparty, contact_person=person, kind=kind, value=value)
        info.full_clean()
        info.save()


def _new_deal(inquiry, counterparty, title, owner, user):
    pipeline = Pipeline.ensure_default()
    deal = Deal(counterparty=counterparty, title=(title or str(inquiry))[:200], responsible=owner,
                stage=pipeline.first_stage(), lead_source=inquiry.source())
    deal.full_clean()
    deal.save()
    stage_entered(deal, None, user)
    if inquiry.campaign_id:
        DealCampaign.objects.create(deal=deal, campaign=inquiry.campaign)
    return deal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from clients import validators
from clients.models import ContactInfo, ContactKind, Counterparty
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["7707083893", "500100732259"])
def test_valid_inn(value):
    kind = "legal" if len(value) == 10 else "individual"
    assert validators.clean_tax_id(value, "RU", kind) == value


@pytest.mark.parametrize("value", ["7707083894", "12345", "abcdefghij"])
def test_invalid_inn(value):
    with pytest.raises(ValidationError):
        validators.clean_tax_id(value, "RU", "legal")


def test_inn_length_must_match_kind():
    with pytest.raises(ValidationError, match="10 digits"):
        validators.clean_tax_id("500100732259", "RU", "legal")


def test_romanian_cui_and_moldovan_idno():
    assert validators.clean_tax_id("RO 185 472 90", "RO", "legal") == "18547290"
    with pytest.raises(ValidationError):
        validators.clean_tax_id("18547291", "RO", "legal")
    assert validators.clean_tax_id("1008600038413", "MD", "legal") == "1008600038413"


def test_kpp_ogrn_okpo():
    assert validators.clean_kpp("773601001") == "773601001"
    assert validators.clean_kpp("7736AB001") == "7736AB001"
    with pytest.raises(ValidationError):
        validators.clean_kpp("77360100")
    assert validators.clean_ogrn("1027700132195", "legal") == "1027700132195"
    with pytest.raises(ValidationError):
        validators.clean_ogrn("1027700132196", "legal")
    with pytest.raises(ValidationError):
        validators.clean_ogrn("1027700132195", "individual")
    assert validators.clean_okpo("57972160") == "57972160"
    with pytest.raises(ValidationError):
        validators.clean_okpo("57972161")


@pytest.mark.parametrize("raw", ["8 (903) 523-66-45", "+7 903 523 66 45", "89035236645", "+7(903)5236645"])
def test_phone_normalised_to_e164(raw):
    assert validators.normalize_phone(raw) == "+79035236645"


def test_bad_phone_rejected():
    with pytest.raises(ValidationError):
        validators.normalize_phone("12")


def test_phone_search_digits():
    assert validators.phone_search_digits("8 (903) 523-66-45") == "79035236645"
    assert validators.phone_search_digits("523-66-45") == "5236645"
    assert validators.phone_search_digits("ООО Ромашка") is None
    assert validators.phone_search_digits("7707083893") is not None  # digits also match tax ids


@given(st.text(max_size=30))
def test_phone_search_never_crashes(text):
    validators.phone_search_digits(text)


def test_counterparty_clean_collects_all_errors():
    cp = Counterparty(name="X", tax_id="7707083894", kpp="1", ogrn="1", okpo="1")
    with pytest.raises(ValidationError) as err:
        cp.full_clean()
    assert {"tax_id", "kpp", "ogrn", "okpo"} <= set(err.value.message_dict)


def test_kpp_only_for_legal_entities():
    cp = Counterparty(name="ИП Петров", kind="individual", tax_id="500100732259", kpp="773601001")
    with pytest.raises(ValidationError) as err:
        cp.full_clean()
    assert "kpp" in err.value.message_dict


def test_contact_info_normalises_and_validates():
    cp = CounterpartyFactory()
    info = ContactInfo(counterparty=cp, kind=ContactKind.MOBILE, value="8 903 523 66 45")
    info.full_clean()
    assert info.value == "+79035236645"
    assert info.display_value == "+7 903 523-66-45"
    email = ContactInfo(counterparty=cp, kind=ContactKind.EMAIL, value=" Ivan@Example.RU ")
    email.full_clean()
    assert email.value == "Ivan@example.ru"
    bad = ContactInfo(counterparty=cp, kind=ContactKind.EMAIL, value="not-an-email")
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "value" in err.value.message_dict

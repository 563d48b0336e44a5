"""Customer and service actions. Each runs in one transaction, checks the
actor's capability, and writes the audit trail (a change records the fields'
old and new values, which the account page shows as its history). Service
history is never rewritten: stop ends an agreement, start creates one,
transfer does both.

Reads and bills belong to layers above this one (metering, billing), which a
lower layer never imports (DESIGN §3). They register what this module calls
when a service starts or stops with a read, and when a closed account's final
bill is due: ``register_read_recorder`` and ``register_final_biller``, from
their AppConfig.ready. Without them (a deployment without metering or
billing) a read or a final bill is refused, never silently skipped."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from ratepayer.kernel.checkdigits import luhn_check_digit
from ratepayer.rates.models import RateSchedule
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from . import search
from .errors import CustomerError, PossibleDuplicate
from .fields import mask, tax_id_digits
from .models import (
    CUSTOMER_CLASSES,
    LANGUAGES,
    METER_SIZES,
    Account,
    AccountNote,
    AgreementEvent,
    BillCycle,
    Contact,
    Customer,
    Meter,
    MeterInstallation,
    Premise,
    SearchEntry,
    ServiceAgreement,
    ServicePoint,
)

ACCOUNT_NUMBER_DIGITS = 7
SERVICES_ALLOWED = {code for code, _ in ServicePoint._meta.get_field("service").choices}
PREMISE_TYPES = {code for code, _ in Premise._meta.get_field("premise_type").choices}


# --- hooks the layers above register ------------------------------------------------

ReadRecorder = Callable[..., object]
FinalBiller = Callable[..., object]
_hooks: dict[str, Callable | None] = {"read": None, "final_bill": None}


def register_read_recorder(recorder: ReadRecorder) -> None:
    """``recorder(user=, meter=, read_date=, value=, read_type=, note=)`` stores a
    register read (metering's read entry) or raises CustomerError."""
    _hooks["read"] = recorder


def register_final_biller(biller: FinalBiller) -> None:
    """``biller(user=, account=)`` bills the account's ended services through
    their end dates now and returns the bill (None if nothing is left to
    bill), or raises CustomerError."""
    _hooks["final_bill"] = biller


def _record_read(**kwargs):
    recorder = _hooks["read"]
    if recorder is None:
        raise CustomerError("Reads cannot be recorded here: the metering app is not installed.")
    return recorder(**kwargs)


# --- input checks (the console's forms and the API hold to the same) ----------------

_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")


def _text(value, label: str, *, max_length: int, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise CustomerError(f"{label}: this is required.")
    if len(text) > max_length:
        raise CustomerError(f"{label}: at most {max_length} characters.")
    if "\x00" in text:
        raise CustomerError(f"{label}: contains a NUL character.")
    return text


def clean_mailing_address(*, mailing_line1, mailing_line2="", mailing_city, mailing_state="WA",
                          mailing_zip) -> dict[str, str]:
    """The mailing address as stored, or CustomerError naming the field."""
    state = _text(mailing_state, "State", max_length=2).upper()
    if not _STATE.match(state):
        raise CustomerError("State: two letters, e.g. WA.")
    zip_code = _text(mailing_zip, "ZIP code", max_length=10)
    if not _ZIP.match(zip_code):
        raise CustomerError("ZIP code: five digits or ZIP+4, e.g. 98201 or 98201-1234.")
    return {"mailing_line1": _text(mailing_line1, "Street address", max_length=120),
            "mailing_line2": _text(mailing_line2, "Apartment, suite, PO box", max_length=120, required=False),
            "mailing_city": _text(mailing_city, "City", max_length=60), "mailing_state": state,
            "mailing_zip": zip_code}


def _clean_phone(phone) -> str:
    text = _text(phone, "Phone", max_length=32, required=False)
    if text and not 10 <= len(search.digits(text)) <= 15:
        raise CustomerError("Phone: ten digits with the area code, e.g. (425) 555-0142.")
    return text


def _clean_email(email) -> str:
    text = _text(email, "E-mail", max_length=254, required=False)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise CustomerError(f"E-mail: {text!r} is not an e-mail address.") from None
    return text


def _clean_language(language) -> str:
    if language not in dict(LANGUAGES):
        raise CustomerError(f"Language: choose one of {', '.join(code for code, _ in LANGUAGES)}.")
    return language


def _clean_tax_id(tax_id, kind: str) -> str:
    text = _text(tax_id, "Tax ID", max_length=11, required=False)
    if not text:
        return ""
    digits = tax_id_digits(text)
    if len(digits) != 9 or not re.fullmatch(r"[\d -]+", text):
        raise CustomerError("Tax ID: nine digits, e.g. 123-45-6789 (SSN) or 12-3456789 (EIN).")
    return f"{digits[:2]}-{digits[2:]}" if kind == Customer.Kind.ORGANIZATION else \
        f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def _clean_date_of_birth(value, today: date) -> str:
    if value in (None, ""):
        return ""
    try:
        born = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise CustomerError("Date of birth: a date as YYYY-MM-DD.") from None
    if born > today or born.year < 1900:
        raise CustomerError(f"Date of birth: {born} cannot be right.")
    return born.isoformat()


def _bill_delivery(value) -> bool:
    """'paper' / 'email' (or the stored boolean) -> Account.paperless."""
    if isinstance(value, bool):
        return value
    if value not in ("paper", "email"):
        raise CustomerError("Bill delivery: choose paper or email.")
    return value == "email"


def _reading(value, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CustomerError(f"{label}: {value!r} is not a meter reading.") from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e10") or number.as_tuple().exponent < -4:
        raise CustomerError(f"{label}: a reading of 0 or more with at most 4 decimal places.")
    return number


def _changes(obj, new: dict) -> tuple[dict, dict]:
    """The fields of ``new`` whose value differs from ``obj``'s: (before, after)."""
    before, after = {}, {}
    for name, value in new.items():
        old = getattr(obj, name)
        if old != value:
            before[name], after[name] = old, value
    return before, after


def account_number_for(sequence: int) -> str:
    """7-digit sequence + Luhn check digit: 1000001 -> '10000016'."""
    body = f"{sequence:0{ACCOUNT_NUMBER_DIGITS}d}"
    return body + str(luhn_check_digit(body))


def next_account_sequence() -> int:
    top = Account.objects.aggregate(m=Max("number"))["m"]
    return int(top[:-1]) + 1 if top else 1000001


def create_customer(*, user, name: str, kind: str = Customer.Kind.PERSON, first_name: str = "", last_name: str = "",
                    language: str = "en", tax_id: str = "", date_of_birth: str = "",
                    contacts: Iterable[dict] = ()) -> Customer:
    permissions.require(user, "account.maintain", "create customers")
    if kind not in Customer.Kind.values:
        raise CustomerError("Customer is a: choose person or organization.")
    name = _text(name, "Name", max_length=200)
    language = _clean_language(language)
    with transaction.atomic():
        customer = Customer.objects.create(kind=kind, name=name.strip(), first_name=first_name, last_name=last_name,
                                           language=language, tax_id=tax_id, date_of_birth=date_of_birth)
        for c in contacts:
            Contact.objects.create(customer=customer, **c)
        audit.record(AuditAction.CUSTOMER_CREATED, user_id=user.pk, obj=customer, summary=customer.name,
                     after={"name": customer.name, "kind": kind, "language": language, "tax_id": mask(tax_id)})
    return customer


def open_account(*, user, customer: Customer, mailing_line1: str, mailing_city: str, mailing_zip: str,
                 mailing_state: str = "WA", mailing_line2: str = "", opened_on: date,
                 paperless: bool = False) -> Account:
    permissions.require(user, "account.maintain", "open accounts")
    address = clean_mailing_address(mailing_line1=mailing_line1, mailing_line2=mailing_line2,
                                    mailing_city=mailing_city, mailing_state=mailing_state, mailing_zip=mailing_zip)
    with transaction.atomic():
        number = account_number_for(next_account_sequence())
        account = Account.objects.create(number=number, customer=customer, opened_on=opened_on,
                                         paperless=_bill_delivery(paperless), **address)
        audit.record(AuditAction.ACCOUNT_OPENED, user_id=user.pk, obj=account, account_id=account.pk,
                     summary=f"{number} for {customer.name}",
                     after={"mailing_address": account.mailing_address, "opened_on": opened_on,
                            "bill_delivery": "email" if paperless else "paper"})
        reindex_accounts([account.pk])
    return account


def _contact_fields(*, name="", role="", phone="", email="", prefers="mail", is_primary=False) -> dict:
    if prefers not in {"phone", "email", "mail"}:
        raise CustomerError("Prefers: phone, email or mail.")
    fields = {"name": _text(name, "Name", max_length=120, required=False),
              "role": _text(role, "Role", max_length=80, required=False),
              "phone": _clean_phone(phone), "email": _clean_email(email), "prefers": prefers,
              "is_primary": bool(is_primary)}
    if not (fields["name"] or fields["phone"] or fields["email"]):
        raise CustomerError("A contact needs a name, a phone number or an e-mail address.")
    if prefers == "email" and not fields["email"]:
        raise CustomerError("E-mail: needed when the contact prefers e-mail.")
    if prefers == "phone" and not fields["phone"]:
        raise CustomerError("Phone: needed when the contact prefers the phone.")
    return fields


def _contact_words(contact: Contact) -> str:
    return " ".join(p for p in (contact.name, contact.phone, contact.email) if p) or f"contact {contact.pk}"


def _one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False)


def add_contact(*, user, customer: Customer, name: str = "", role: str = "", phone: str = "", email: str = "",
                is_primary: bool = False, prefers: str = "mail") -> Contact:
    """A new way to reach the customer; a new primary contact replaces the old one as primary.
    Audited against the customer, so the history outlives a removed contact."""
    permissions.require(user, "account.maintain", "edit contacts")
    fields = _contact_fields(name=name, role=role, phone=phone, email=email, prefers=prefers, is_primary=is_primary)
    with transaction.atomic():
        contact = Contact.objects.create(customer=customer, **fields)
        _one_primary(contact)
        audit.record(AuditAction.CONTACT_ADDED, user_id=user.pk, obj=customer, summary=f"contact {_contact_words(contact)}",
                     after={"contact": contact.pk, **fields})
        reindex_accounts(customer.accounts.values_list("pk", flat=True))
    return contact


def update_contact(*, user, contact: Contact, name: str = "", role: str = "", phone: str = "", email: str = "",
                   prefers: str = "mail", is_primary: bool = False) -> Contact:
    """Change a contact's details; the audit row keeps every old value."""
    permissions.require(user, "account.maintain", "edit contacts")
    fields = _contact_fields(name=name, role=role, phone=phone, email=email, prefers=prefers, is_primary=is_primary)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        before, after = _changes(contact, fields)
        if not after:
            return contact
        if not fields["email"] and contact.email:
            _refuse_losing_ebill_address(contact)
        Contact.objects.filter(pk=contact.pk).update(**fields)
        contact.refresh_from_db()
        _one_primary(contact)
        audit.record(AuditAction.CONTACT_UPDATED, user_id=user.pk, obj=contact.customer,
                     summary=f"contact {_contact_words(contact)}", before={"contact": contact.pk, **before},
                     after={"contact": contact.pk, **after})
        reindex_accounts(Account.objects.filter(customer_id=contact.customer_id).values_list("pk", flat=True))
    return contact


def _refuse_losing_ebill_address(contact: Contact) -> None:
    others = Contact.objects.filter(customer_id=contact.customer_id).exclude(pk=contact.pk).exclude(email="")
    if not others.exists() and Account.objects.filter(customer_id=contact.customer_id, paperless=True,
                                                      status=Account.Status.ACTIVE).exists():
        raise CustomerError(f"E-mail: {contact.email} is where this customer's e-bills go; switch bill delivery to "
                            "paper or add another e-mail address first.")


def remove_contact(*, user, contact: Contact) -> None:
    permissions.require(user, "account.maintain", "edit contacts")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
        if contact.email:
            _refuse_losing_ebill_address(contact)
        customer = contact.customer
        before = {"contact": contact.pk, **{f: getattr(contact, f) for f in ("name", "role", "phone", "email",
                                                                             "prefers", "is_primary")}}
        contact.delete()
        audit.record(AuditAction.CONTACT_REMOVED, user_id=user.pk, obj=customer,
                     summary=f"contact {_contact_words(contact)} removed", before=before)
        reindex_accounts(customer.accounts.values_list("pk", flat=True))


def change_mailing_address(*, user, account: Account, mailing_line1: str, mailing_city: str, mailing_zip: str,
                           mailing_state: str = "WA", mailing_line2: str = "") -> Account:
    """Where the account's bills and letters are mailed (audited old -> new)."""
    permissions.require(user, "account.maintain", "change mailing addresses")
    new = clean_mailing_address(mailing_line1=mailing_line1, mailing_line2=mailing_line2, mailing_city=mailing_city,
                                mailing_state=mailing_state, mailing_zip=mailing_zip)
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("customer").get(pk=account.pk)
        before, after = _changes(account, new)
        if not after:
            return account
        Account.objects.filter(pk=account.pk).update(**new)
        account.refresh_from_db()
        audit.record(AuditAction.ACCOUNT_UPDATED, user_id=user.pk, obj=account, account_id=account.pk,
                     summary=f"mailing address now {account.mailing_address}", before=before, after=after)
        reindex_accounts([account.pk])
    return account


def change_bill_preferences(*, user, account: Account, language: str | None = None,
                            bill_delivery: str | None = None) -> Account:
    """The bill's language (the customer's, for all their accounts) and paper or e-bill.
    An e-bill needs a contact with an e-mail address to send it to."""
    permissions.require(user, "account.maintain", "change bill language and delivery")
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("customer").get(pk=account.pk)
        customer = account.customer
        before, after = {}, {}
        if language is not None and _clean_language(language) != customer.language:
            before["language"], after["language"] = customer.language, language
            Customer.objects.filter(pk=customer.pk).update(language=language)
        if bill_delivery is not None:
            paperless = _bill_delivery(bill_delivery)
            if paperless != account.paperless:
                if paperless and not Contact.objects.filter(customer=customer).exclude(email="").exists():
                    raise CustomerError("Bill delivery: e-bills need an e-mail address; add a contact with one first.")
                before["bill_delivery"] = "email" if account.paperless else "paper"
                after["bill_delivery"] = "email" if paperless else "paper"
                Account.objects.filter(pk=account.pk).update(paperless=paperless)
        if after:
            audit.record(AuditAction.ACCOUNT_UPDATED, user_id=user.pk, obj=account, account_id=account.pk,
                         summary="bill " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in after.items()),
                         before=before, after=after)
    account.refresh_from_db()
    account.customer.refresh_from_db()
    return account


def _clean_names(*, kind, name, first_name, last_name) -> tuple[str, str, str]:
    """(name as billed, first name, last name), or CustomerError naming the field.
    A person's billed name is "First Last" unless given."""
    if kind not in Customer.Kind.values:
        raise CustomerError("Customer is a: choose person or organization.")
    first_name = _text(first_name, "First name", max_length=80, required=False)
    last_name = _text(last_name, "Last name", max_length=80, required=False)
    name = _text(name, "Organization name" if kind == Customer.Kind.ORGANIZATION else "Name", max_length=200,
                 required=False)
    if kind == Customer.Kind.PERSON and not name:
        if not last_name:
            raise CustomerError("Last name: a person needs a last name.")
        name = f"{first_name} {last_name}".strip()
    if not name:
        raise CustomerError("Organization name: this is required.")
    return name, first_name, last_name


def update_customer(*, user, customer: Customer, kind: str, name: str = "", first_name: str = "",
                    last_name: str = "", tax_id: str | None = None, date_of_birth=None) -> Customer:
    """Correct the customer's name or kind (a typo, a marriage, an organization's
    new legal name), and replace their tax ID or date of birth. ``None`` (or
    empty) for tax ID or date of birth keeps what is on file: the console never
    shows them to roles that may not see them, so it cannot send them back.
    Audited old -> new (the tax ID masked); search finds the new name at once."""
    permissions.require(user, "account.maintain", "change customer details")
    name, first_name, last_name = _clean_names(kind=kind, name=name, first_name=first_name, last_name=last_name)
    new = {"kind": kind, "name": name, "first_name": first_name, "last_name": last_name}
    if tax_id not in (None, ""):
        new["tax_id"] = _clean_tax_id(tax_id, kind)
    if date_of_birth not in (None, ""):
        new["date_of_birth"] = _clean_date_of_birth(date_of_birth, date.today())
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before, after = _changes(customer, new)
        if not after:
            return customer
        for field, value in after.items():
            setattr(customer, field, value)
        # save(), not update(): the tax ID's digest (duplicate checks) is computed with it
        customer.save(update_fields=list(after) + (["tax_id_digest"] if "tax_id" in after else []))
        if "tax_id" in after:
            before["tax_id"], after["tax_id"] = mask(before["tax_id"]) or "—", mask(after["tax_id"])
        if "date_of_birth" in after:
            before["date_of_birth"] = "••••-••-••" if before["date_of_birth"] else "—"
            after["date_of_birth"] = "••••-••-•• (changed)"
        audit.record(AuditAction.CUSTOMER_UPDATED, user_id=user.pk, obj=customer, summary=customer.name, before=before,
                     after=after)
        reindex_accounts(customer.accounts.values_list("pk", flat=True))
    return customer


def open_customer_account(*, user, kind: str = Customer.Kind.PERSON, name: str = "", first_name: str = "",
                          last_name: str = "", tax_id: str = "", date_of_birth="", language: str = "en",
                          phone: str = "", email: str = "", mailing_line1: str, mailing_line2: str = "",
                          mailing_city: str, mailing_state: str = "WA", mailing_zip: str, bill_delivery="paper",
                          opened_on: date, confirm_not_duplicate: bool = False) -> Account:
    """A new customer (person or organization) with a contact and an account.

    Before anything is written the customer is checked against those on file
    (customers.queries.possible_duplicates: name, tax ID, mailing address). A
    possible duplicate raises PossibleDuplicate with the matches and changes
    nothing, unless the clerk has confirmed it is a new customer
    (``confirm_not_duplicate``), which is audited with the matches shown.
    The new account is in search at once (its terms are indexed in the same
    transaction)."""
    from .queries import possible_duplicates

    permissions.require(user, "account.maintain", "open accounts")
    name, first_name, last_name = _clean_names(kind=kind, name=name, first_name=first_name, last_name=last_name)
    address = clean_mailing_address(mailing_line1=mailing_line1, mailing_line2=mailing_line2,
                                    mailing_city=mailing_city, mailing_state=mailing_state, mailing_zip=mailing_zip)
    tax_id = _clean_tax_id(tax_id, kind)
    born = _clean_date_of_birth(date_of_birth, opened_on)
    language = _clean_language(language)
    paperless = _bill_delivery(bill_delivery)
    phone, email = _clean_phone(phone), _clean_email(email)
    if paperless and not email:
        raise CustomerError("E-mail: needed for e-bills.")
    with transaction.atomic():
        matches = possible_duplicates(name=name, tax_id=tax_id, mailing_line1=address["mailing_line1"],
                                      mailing_zip=address["mailing_zip"])
        if matches and not confirm_not_duplicate:
            raise PossibleDuplicate(matches)
        contacts = []
        if phone or email:
            contacts.append({"name": name if kind == Customer.Kind.PERSON else "", "phone": phone, "email": email,
                             "is_primary": True, "prefers": "email" if email else "phone"})
        customer = create_customer(user=user, name=name, kind=kind, first_name=first_name, last_name=last_name,
                                   language=language, tax_id=tax_id, date_of_birth=born, contacts=contacts)
        account = open_account(user=user, customer=customer, opened_on=opened_on, paperless=paperless, **address)
        if matches:
            audit.record(AuditAction.CUSTOMER_DUPLICATE_CONFIRMED, user_id=user.pk, obj=customer, account_id=account.pk,
                         summary=f"{name}: confirmed new although like "
                                 + ", ".join(f"{m.account_number or 'customer ' + str(m.customer_id)} "
                                             f"({'/'.join(m.reasons)})" for m in matches[:10]),
                         after={"matches": [{"customer": m.customer_id, "account": m.account_number,
                                             "reasons": list(m.reasons)} for m in matches]})
    return account


def add_note(*, user, account: Account, text: str, kind: str = "note") -> AccountNote:
    permissions.require(user, "account.note", "add notes")
    if not text.strip():
        raise CustomerError("A note cannot be empty.")
    with transaction.atomic():
        note = AccountNote.objects.create(account=account, text=text.strip(), kind=kind, created_by=user)
        audit.record(AuditAction.ACCOUNT_NOTE_ADDED, user_id=user.pk, obj=note, account_id=account.pk, summary=text[:120])
    return note


def create_premise(*, user, line1: str, city: str, zip: str, line2: str = "", state: str = "WA",
                   parcel_number: str = "", premise_type: str = "single_family", dwelling_units: int = 1,
                   services: Iterable[str] = ()) -> Premise:
    """A service address with one service point per service (new construction)."""
    permissions.require(user, "account.maintain", "create premises")
    services = list(dict.fromkeys(services))
    unknown = [s for s in services if s not in SERVICES_ALLOWED]
    if unknown:
        raise CustomerError(f"Service points: unknown service {', '.join(map(str, unknown))}.")
    if premise_type not in PREMISE_TYPES:
        raise CustomerError("Premise type: choose one of the listed types.")
    try:
        dwelling_units = int(dwelling_units)
    except (TypeError, ValueError):
        raise CustomerError("Dwelling units: a whole number.") from None
    if not 1 <= dwelling_units <= 5000:
        raise CustomerError("Dwelling units: 1 to 5,000.")
    address = clean_mailing_address(mailing_line1=line1, mailing_line2=line2, mailing_city=city,
                                    mailing_state=state, mailing_zip=zip)
    parcel_number = _text(parcel_number, "Parcel number", max_length=20, required=False)
    with transaction.atomic():
        premise = Premise.objects.create(line1=address["mailing_line1"], line2=address["mailing_line2"],
                                         city=address["mailing_city"], state=address["mailing_state"],
                                         zip=address["mailing_zip"], parcel_number=parcel_number,
                                         premise_type=premise_type, dwelling_units=dwelling_units)
        for service in services:
            ServicePoint.objects.create(premise=premise, service=service)
        audit.record(AuditAction.PREMISE_CREATED, user_id=user.pk, obj=premise, summary=premise.address,
                     after={"address": premise.address, "zip": premise.zip, "parcel": parcel_number,
                            "type": premise_type, "services": services})
    return premise


def add_service_point(*, user, premise: Premise, service: str, label: str = "") -> ServicePoint:
    permissions.require(user, "account.maintain", "add service points")
    if service not in SERVICES_ALLOWED:
        raise CustomerError(f"Service: unknown service {service!r}.")
    with transaction.atomic():
        point = ServicePoint.objects.create(premise=premise, service=service,
                                            label=_text(label, "Label", max_length=40, required=False))
        audit.record(AuditAction.SERVICE_POINT_CREATED, user_id=user.pk, obj=point, summary=str(point))
    return point


def install_new_meter(*, user, service_point: ServicePoint, serial_number: str, installed_on: date, first_read,
                      kind: str = "register", unit: str = "", dial_count: int = 5, multiplier="1",
                      size: str = "") -> MeterInstallation:
    """A new meter on file, installed at the service point with its first
    read (metering's read entry, type "meter in"): the read the first bill's
    usage is measured from."""
    permissions.require(user, "account.maintain", "install meters")
    permissions.require(user, "reads.manage", "record the meter's first read")
    serial_number = _text(serial_number, "Meter number", max_length=32)
    reading = _reading(first_read, "First read")
    if reading is None:
        raise CustomerError("First read: enter the register as installed.")
    units = {"electric": "kWh", "water": "CCF", "sewer": "CCF", "irrigation": "CCF"}
    unit = unit or units.get(service_point.service, "kWh")
    if unit not in dict(Meter._meta.get_field("unit").choices):
        raise CustomerError("Unit: kWh, CCF or kgal.")
    if kind not in dict(Meter._meta.get_field("kind").choices):
        raise CustomerError("Meter type: register or interval.")
    if size and size not in dict(METER_SIZES):
        raise CustomerError("Size (water): choose one of the listed sizes.")
    try:
        dial_count = int(dial_count)
        factor = Decimal(str(multiplier))
    except (TypeError, ValueError, InvalidOperation):
        raise CustomerError("Multiplier: a number greater than 0.") from None
    if not 1 <= dial_count <= 9:
        raise CustomerError("Dials: 1 to 9.")
    if not factor.is_finite() or factor <= 0 or factor >= 1000000:
        raise CustomerError("Multiplier: a number greater than 0.")
    with transaction.atomic():
        if Meter.objects.filter(serial_number=serial_number).exists():
            raise CustomerError(f"Meter number: {serial_number} is already on file.")
        try:
            with transaction.atomic():
                meter = Meter.objects.create(serial_number=serial_number, service=service_point.service, kind=kind,
                                             unit=unit, dial_count=dial_count, multiplier=factor, size=size)
        except IntegrityError:  # another clerk saved the same serial a moment ago
            raise CustomerError(f"Meter number: {serial_number} is already on file.") from None
        installation = install_meter(user=user, meter=meter, service_point=service_point, installed_on=installed_on,
                                     install_read=reading)
        _record_read(user=user, meter=meter, read_date=installed_on, value=reading, read_type="meter_in",
                     note="first read of a new meter")
    return installation


def install_meter(*, user, meter: Meter, service_point: ServicePoint, installed_on: date,
                  install_read=0) -> MeterInstallation:
    permissions.require(user, "account.maintain", "install meters")
    install_read = _reading(install_read, "Install read") or Decimal(0)
    if meter.service != service_point.service:
        raise CustomerError(f"Meter {meter} measures {meter.service}, not {service_point.service}.")
    with transaction.atomic():
        if MeterInstallation.objects.select_for_update().filter(service_point=service_point, removed_on__isnull=True).exists():
            raise CustomerError("That service point already has a meter installed: remove it first.")
        if MeterInstallation.objects.filter(meter=meter, removed_on__isnull=True).exists():
            raise CustomerError(f"Meter {meter} is installed somewhere else.")
        installation = MeterInstallation.objects.create(meter=meter, service_point=service_point,
                                                        installed_on=installed_on, install_read=install_read)
        audit.record(AuditAction.METER_INSTALLED, user_id=user.pk, obj=installation, summary=f"{meter} at {service_point}",
                     after={"installed_on": installed_on, "read": install_read})
        reindex_accounts(ServiceAgreement.objects.filter(service_point=service_point).values_list("account_id", flat=True))
    return installation


def remove_meter(*, user, installation: MeterInstallation, removed_on: date, removal_read) -> MeterInstallation:
    permissions.require(user, "account.maintain", "remove meters")
    removal_read = _reading(removal_read, "Removal read")
    if removed_on < installation.installed_on:
        raise CustomerError("A meter cannot be removed before it was installed.")
    with transaction.atomic():
        updated = MeterInstallation.objects.filter(pk=installation.pk, removed_on__isnull=True).update(
            removed_on=removed_on, removal_read=removal_read)
        if not updated:
            raise CustomerError("That meter was already removed.")
        installation.refresh_from_db()
        audit.record(AuditAction.METER_REMOVED, user_id=user.pk, obj=installation, summary=f"{installation.meter} removed",
                     after={"removed_on": removed_on, "read": removal_read})
    return installation


def start_service(*, user, account: Account, service_point: ServicePoint, rate_schedule: RateSchedule,
                  customer_class: str, bill_cycle: BillCycle, start_date: date, dwelling_units: int = 1,
                  connected_load_kw=None, previous: ServiceAgreement | None = None,
                  event_kind: str = "start", move_in_read=None, size_class: str = "") -> ServiceAgreement:
    """Service from ``start_date``; with ``move_in_read``, the meter's read that
    day is recorded (metering's read entry), so the first bill measures usage
    from the customer's own first day rather than the previous occupant's last read."""
    permissions.require(user, "service.start_stop", "start service")
    reading = _reading(move_in_read, "Move-in read")
    if reading is not None:
        permissions.require(user, "reads.manage", "enter the move-in read")
    if account.status != Account.Status.ACTIVE:
        raise CustomerError(f"Account {account.number} is closed.")
    if customer_class not in dict(CUSTOMER_CLASSES):
        raise CustomerError(f"Customer class: choose one of {', '.join(code for code, _ in CUSTOMER_CLASSES)}.")
    if not isinstance(dwelling_units, int) or not 1 <= dwelling_units <= 5000:
        raise CustomerError("Dwelling units: a whole number from 1 to 5,000.")
    if rate_schedule.service != service_point.service:
        raise CustomerError(f"Rate {rate_schedule.code} is for {rate_schedule.service}, not {service_point.service}.")
    if size_class and size_class not in ServiceAgreement.SizeClass.values:
        raise CustomerError(f"Size class {size_class!r} is not one of: "
                            f"{', '.join(ServiceAgreement.SizeClass.values)}.")
    with transaction.atomic():
        current = (ServiceAgreement.objects.select_for_update()
                   .filter(service_point=service_point, status=ServiceAgreement.Status.ACTIVE).first())
        if current is not None:
            raise CustomerError(
                f"{service_point} is still served under account {current.account.number}: stop that service first.")
        last_end = (ServiceAgreement.objects.filter(service_point=service_point)
                    .aggregate(m=Max("end_date"))["m"])
        if last_end is not None and start_date <= last_end:
            raise CustomerError(f"Service there ended {last_end}; a new start must be after that date.")
        agreement = ServiceAgreement.objects.create(
            account=account, service_point=service_point, service=service_point.service, rate_schedule=rate_schedule,
            customer_class=customer_class, bill_cycle=bill_cycle, start_date=start_date, dwelling_units=dwelling_units,
            connected_load_kw=connected_load_kw, size_class=size_class, previous=previous)
        AgreementEvent.objects.create(agreement=agreement, kind=event_kind, effective_date=start_date, created_by=user)
        if reading is not None:
            _record_read(user=user, meter=_meter_at(service_point, start_date, "Move-in read"), read_date=start_date,
                         value=reading, read_type="actual", note=f"move-in read, account {account.number}")
        audit.record(AuditAction.SERVICE_STARTED, user_id=user.pk, obj=agreement, account_id=account.pk,
                     summary=f"{service_point.get_service_display()} at {service_point.premise} from {start_date}",
                     after={"rate": rate_schedule.code, "class": customer_class, "cycle": bill_cycle.code,
                            "start_date": start_date, "move_in_read": reading})
        reindex_accounts([account.pk])
    return agreement


def stop_service(*, user, agreement: ServiceAgreement, end_date: date, event_kind: str = "stop",
                 note: str = "", final_read=None) -> ServiceAgreement:
    """End an agreement on ``end_date`` (the last day of service, inclusive);
    with ``final_read``, the meter's read that day is recorded as its final read."""
    permissions.require(user, "service.start_stop", "stop service")
    reading = _reading(final_read, "Final read")
    if reading is not None:
        permissions.require(user, "reads.manage", "enter the final read")
    if end_date < agreement.start_date:
        raise CustomerError(f"Service started {agreement.start_date}; it cannot end before that.")
    with transaction.atomic():
        updated = ServiceAgreement.objects.filter(pk=agreement.pk, status=ServiceAgreement.Status.ACTIVE).update(
            status=ServiceAgreement.Status.ENDED, end_date=end_date)
        if not updated:
            raise CustomerError("That service was already stopped.")
        AgreementEvent.objects.create(agreement=agreement, kind=event_kind, effective_date=end_date, created_by=user,
                                      note=note)
        if reading is not None:
            _record_read(user=user, meter=_meter_at(agreement.service_point, end_date, "Final read"),
                         read_date=end_date, value=reading, read_type="final", note=note or "final read")
        audit.record(AuditAction.SERVICE_STOPPED, user_id=user.pk, obj=agreement, account_id=agreement.account_id,
                     summary=f"{agreement.get_service_display()} ends {end_date}",
                     before={"status": "active"},
                     after={"status": "ended", "end_date": end_date, "final_read": reading})
    agreement.refresh_from_db()
    return agreement


def transfer_service(*, user, account: Account, to_premise: Premise, move_date: date,
                     bill_cycle: BillCycle | None = None) -> list[ServiceAgreement]:
    """A move: every active agreement of the account ends the day before
    ``move_date`` and the same services start at the new premise on it."""
    permissions.require(user, "service.start_stop", "transfer service")
    with transaction.atomic():
        old = list(ServiceAgreement.objects.select_for_update()
                   .filter(account=account, status=ServiceAgreement.Status.ACTIVE).order_by("pk")
                   .select_related("rate_schedule", "bill_cycle"))
        if not old:
            raise CustomerError(f"Account {account.number} has no active service to transfer.")
        points = {sp.service: sp for sp in to_premise.service_points.all()}
        missing = sorted({a.service for a in old} - set(points))
        if missing:
            raise CustomerError(f"{to_premise} has no service point for: {', '.join(missing)}.")
        created = []
        for agreement in old:
            stop_service(user=user, agreement=agreement, end_date=move_date - timedelta(days=1),
                         event_kind="transfer_out", note=f"moved to {to_premise}")
            created.append(start_service(
                user=user, account=account, service_point=points[agreement.service],
                rate_schedule=agreement.rate_schedule, customer_class=agreement.customer_class,
                bill_cycle=bill_cycle or agreement.bill_cycle, start_date=move_date,
                dwelling_units=to_premise.dwelling_units, connected_load_kw=agreement.connected_load_kw,
                size_class=agreement.size_class, previous=agreement, event_kind="transfer_in"))
        audit.record(AuditAction.SERVICE_TRANSFERRED, user_id=user.pk, obj=account, account_id=account.pk,
                     summary=f"moved to {to_premise} on {move_date}")
    return created


def _meter_at(service_point: ServicePoint, on: date, label: str) -> Meter:
    installation = (MeterInstallation.objects.filter(service_point=service_point, installed_on__lte=on)
                    .filter(Q(removed_on__isnull=True) | Q(removed_on__gte=on)).select_related("meter")
                    .order_by("-installed_on").first())
    if installation is None:
        raise CustomerError(f"{label}: no meter is installed at {service_point} on {on}.")
    return installation.meter


def close_account(*, user, account: Account, closed_on: date, final_reads: dict | None = None,
                  note: str = "", final_bill: bool = True):
    """Close the account on ``closed_on``, its last day of service: every
    active service stops that day with its final read (a metered service
    needs one: final bills are never estimated), and the final bill is
    issued now through billing's final-bill path, not at the cycle's next
    run. All of it or nothing: one transaction. Returns (account, final bill
    or None when everything was billed already)."""
    permissions.require(user, "account.maintain", "close accounts")
    final_reads = {int(k): v for k, v in (final_reads or {}).items()}
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if account.status != Account.Status.ACTIVE:
            raise CustomerError(f"Account {account.number} is already closed.")
        if closed_on < account.opened_on:
            raise CustomerError(f"Last day of service: the account opened {account.opened_on}.")
        active = list(ServiceAgreement.objects.select_for_update().filter(
            account=account, status=ServiceAgreement.Status.ACTIVE).select_related("service_point").order_by("pk"))
        metered = set(MeterInstallation.objects.filter(
            service_point_id__in=[a.service_point_id for a in active], removed_on__isnull=True)
            .values_list("service_point_id", flat=True))
        for agreement in active:
            if agreement.service_point_id in metered and final_reads.get(agreement.pk) in (None, ""):
                raise CustomerError(f"Final read: enter the {agreement.get_service_display().lower()} meter's final "
                                    "read (final bills are not estimated).")
        for agreement in active:
            stop_service(user=user, agreement=agreement, end_date=closed_on, note=note or "account closed",
                         final_read=final_reads.get(agreement.pk))
        Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED, closed_on=closed_on)
        audit.record(AuditAction.ACCOUNT_CLOSED, user_id=user.pk, obj=account, account_id=account.pk,
                     summary=f"closed {closed_on}" + (f": {note}" if note else ""),
                     before={"status": "active"}, after={"status": "closed", "closed_on": closed_on})
        bill = None
        if final_bill:
            biller = _hooks["final_bill"]
            if biller is None:
                raise CustomerError("The final bill cannot be issued here: the billing app is not installed.")
            bill = biller(user=user, account=account)
    account.refresh_from_db()
    return account, bill


def reveal_pii(*, user, customer: Customer) -> dict[str, str]:
    """Unmasked tax ID and date of birth, for roles that need them (audited)."""
    permissions.require(user, "account.view_pii", "see customer tax ID and date of birth")
    audit.record(AuditAction.CUSTOMER_PII_VIEWED, user_id=user.pk, obj=customer, summary=f"PII of {customer.name} shown",
                 account_id=customer.accounts.values_list("pk", flat=True).first())
    return {"tax_id": customer.tax_id, "date_of_birth": customer.date_of_birth}


def record_account_view(*, user, account: Account) -> None:
    permissions.require(user, "account.view", "look up accounts")
    audit.record(AuditAction.ACCOUNT_VIEWED, user_id=user.pk, obj=account, account_id=account.pk, summary=f"opened account {account.number}")


def reindex_accounts(account_ids: Iterable[int]) -> int:
    """Rebuild search terms for these accounts in a handful of queries."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    total = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        accounts = {a.pk: a for a in Account.objects.filter(pk__in=chunk).select_related("customer")}
        contacts: dict[int, list[Contact]] = defaultdict(list)
        for c in Contact.objects.filter(customer_id__in={a.customer_id for a in accounts.values()}):
            contacts[c.customer_id].append(c)
        addresses: dict[int, list[str]] = defaultdict(list)
        meters: dict[int, list[str]] = defaultdict(list)
        points_by_account: dict[int, set[int]] = defaultdict(set)
        for account_id, sp_id, line1, line2, city in ServiceAgreement.objects.filter(account_id__in=chunk).values_list(
                "account_id", "service_point_id", "service_point__premise__line1", "service_point__premise__line2",
                "service_point__premise__city"):
            addresses[account_id].append(f"{line1} {line2} {city}")
            points_by_account[account_id].add(sp_id)
        sp_to_accounts: dict[int, list[int]] = defaultdict(list)
        for account_id, sps in points_by_account.items():
            for sp in sps:
                sp_to_accounts[sp].append(account_id)
        for sp_id, serial in MeterInstallation.objects.filter(service_point_id__in=sp_to_accounts).values_list(
                "service_point_id", "meter__serial_number"):
            for account_id in sp_to_accounts[sp_id]:
                meters[account_id].append(serial)
        rows = []
        for pk, account in accounts.items():
            cs = contacts.get(account.customer_id, [])
            names = [account.customer.name] + [c.name for c in cs if c.name]
            for kind, term in search.terms_for(
                    number=account.number, names=names,
                    addresses=addresses.get(pk, []) + [account.mailing_line1],
                    phones=[c.phone for c in cs], emails=[c.email for c in cs], meters=meters.get(pk, [])):
                rows.append(SearchEntry(account_id=pk, kind=kind, term=term))
        SearchEntry.objects.filter(account_id__in=chunk).delete()
        SearchEntry.objects.bulk_create(rows, batch_size=5000)
        total += len(rows)
    return total

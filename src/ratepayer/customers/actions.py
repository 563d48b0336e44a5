"""Customer and service actions. Each runs in one transaction, checks the
actor's capability, and writes the audit trail. Service history is never
rewritten: stop ends an agreement, start creates one, transfer does both."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max

from ratepayer.kernel.checkdigits import luhn_check_digit
from ratepayer.rates.models import RateSchedule
from ratepayer.staff import audit, permissions

from . import search
from .errors import CustomerError
from .fields import mask
from .models import (
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
    if not name.strip():
        raise CustomerError("A customer needs a name.")
    with transaction.atomic():
        customer = Customer.objects.create(kind=kind, name=name.strip(), first_name=first_name, last_name=last_name,
                                           language=language, tax_id=tax_id, date_of_birth=date_of_birth)
        for c in contacts:
            Contact.objects.create(customer=customer, **c)
        audit.record("customer.created", user_id=user.pk, obj=customer, summary=customer.name,
                     after={"name": customer.name, "kind": kind, "tax_id": mask(tax_id)})
    return customer


def open_account(*, user, customer: Customer, mailing_line1: str, mailing_city: str, mailing_zip: str,
                 mailing_state: str = "WA", mailing_line2: str = "", opened_on: date,
                 paperless: bool = False) -> Account:
    permissions.require(user, "account.maintain", "open accounts")
    with transaction.atomic():
        number = account_number_for(next_account_sequence())
        account = Account.objects.create(number=number, customer=customer, mailing_line1=mailing_line1,
                                         mailing_line2=mailing_line2, mailing_city=mailing_city,
                                         mailing_state=mailing_state, mailing_zip=mailing_zip, opened_on=opened_on,
                                         paperless=paperless)
        audit.record("account.opened", user_id=user.pk, obj=account, account_id=account.pk, summary=f"{number} for {customer.name}")
        reindex_accounts([account.pk])
    return account


def add_contact(*, user, customer: Customer, name: str = "", role: str = "", phone: str = "", email: str = "",
                is_primary: bool = False) -> Contact:
    permissions.require(user, "account.maintain", "edit contacts")
    with transaction.atomic():
        contact = Contact.objects.create(customer=customer, name=name, role=role, phone=phone, email=email,
                                         is_primary=is_primary)
        audit.record("contact.added", user_id=user.pk, obj=contact, summary=f"{name} {phone} {email}".strip())
        reindex_accounts(customer.accounts.values_list("pk", flat=True))
    return contact


def add_note(*, user, account: Account, text: str, kind: str = "note") -> AccountNote:
    permissions.require(user, "account.note", "add notes")
    if not text.strip():
        raise CustomerError("A note cannot be empty.")
    with transaction.atomic():
        note = AccountNote.objects.create(account=account, text=text.strip(), kind=kind, created_by=user)
        audit.record("account.note_added", user_id=user.pk, obj=note, account_id=account.pk, summary=text[:120])
    return note


def create_premise(*, user, line1: str, city: str, zip: str, line2: str = "", state: str = "WA",
                   parcel_number: str = "", premise_type: str = "single_family", dwelling_units: int = 1,
                   services: Iterable[str] = ()) -> Premise:
    permissions.require(user, "account.maintain", "create premises")
    with transaction.atomic():
        premise = Premise.objects.create(line1=line1, line2=line2, city=city, state=state, zip=zip,
                                         parcel_number=parcel_number, premise_type=premise_type,
                                         dwelling_units=dwelling_units)
        for service in services:
            ServicePoint.objects.create(premise=premise, service=service)
        audit.record("premise.created", user_id=user.pk, obj=premise, summary=premise.address)
    return premise


def install_meter(*, user, meter: Meter, service_point: ServicePoint, installed_on: date,
                  install_read=0) -> MeterInstallation:
    permissions.require(user, "account.maintain", "install meters")
    if meter.service != service_point.service:
        raise CustomerError(f"Meter {meter} measures {meter.service}, not {service_point.service}.")
    with transaction.atomic():
        if MeterInstallation.objects.select_for_update().filter(service_point=service_point, removed_on__isnull=True).exists():
            raise CustomerError("That service point already has a meter installed: remove it first.")
        if MeterInstallation.objects.filter(meter=meter, removed_on__isnull=True).exists():
            raise CustomerError(f"Meter {meter} is installed somewhere else.")
        installation = MeterInstallation.objects.create(meter=meter, service_point=service_point,
                                                        installed_on=installed_on, install_read=install_read)
        audit.record("meter.installed", user_id=user.pk, obj=installation, summary=f"{meter} at {service_point}",
                     after={"installed_on": installed_on, "read": install_read})
        reindex_accounts(ServiceAgreement.objects.filter(service_point=service_point).values_list("account_id", flat=True))
    return installation


def remove_meter(*, user, installation: MeterInstallation, removed_on: date, removal_read) -> MeterInstallation:
    permissions.require(user, "account.maintain", "remove meters")
    if removed_on < installation.installed_on:
        raise CustomerError("A meter cannot be removed before it was installed.")
    with transaction.atomic():
        updated = MeterInstallation.objects.filter(pk=installation.pk, removed_on__isnull=True).update(
            removed_on=removed_on, removal_read=removal_read)
        if not updated:
            raise CustomerError("That meter was already removed.")
        installation.refresh_from_db()
        audit.record("meter.removed", user_id=user.pk, obj=installation, summary=f"{installation.meter} removed",
                     after={"removed_on": removed_on, "read": removal_read})
    return installation


def start_service(*, user, account: Account, service_point: ServicePoint, rate_schedule: RateSchedule,
                  customer_class: str, bill_cycle: BillCycle, start_date: date, dwelling_units: int = 1,
                  connected_load_kw=None, previous: ServiceAgreement | None = None,
                  event_kind: str = "start") -> ServiceAgreement:
    permissions.require(user, "service.start_stop", "start service")
    if account.status != Account.Status.ACTIVE:
        raise CustomerError(f"Account {account.number} is closed.")
    if rate_schedule.service != service_point.service:
        raise CustomerError(f"Rate {rate_schedule.code} is for {rate_schedule.service}, not {service_point.service}.")
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
            connected_load_kw=connected_load_kw, previous=previous)
        AgreementEvent.objects.create(agreement=agreement, kind=event_kind, effective_date=start_date, created_by=user)
        audit.record("service.started", user_id=user.pk, obj=agreement, account_id=account.pk,
                     summary=f"{service_point.get_service_display()} at {service_point.premise} from {start_date}",
                     after={"rate": rate_schedule.code, "class": customer_class, "cycle": bill_cycle.code})
        reindex_accounts([account.pk])
    return agreement


def stop_service(*, user, agreement: ServiceAgreement, end_date: date, event_kind: str = "stop",
                 note: str = "") -> ServiceAgreement:
    """End an agreement on ``end_date`` (the last day of service, inclusive)."""
    permissions.require(user, "service.start_stop", "stop service")
    if end_date < agreement.start_date:
        raise CustomerError(f"Service started {agreement.start_date}; it cannot end before that.")
    with transaction.atomic():
        updated = ServiceAgreement.objects.filter(pk=agreement.pk, status=ServiceAgreement.Status.ACTIVE).update(
            status=ServiceAgreement.Status.ENDED, end_date=end_date)
        if not updated:
            raise CustomerError("That service was already stopped.")
        AgreementEvent.objects.create(agreement=agreement, kind=event_kind, effective_date=end_date, created_by=user,
                                      note=note)
        audit.record("service.stopped", user_id=user.pk, obj=agreement, account_id=agreement.account_id,
                     summary=f"{agreement.get_service_display()} ends {end_date}",
                     before={"status": "active"}, after={"status": "ended", "end_date": end_date})
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
                previous=agreement, event_kind="transfer_in"))
        audit.record("service.transferred", user_id=user.pk, obj=account, account_id=account.pk,
                     summary=f"moved to {to_premise} on {move_date}")
    return created


def close_account(*, user, account: Account, closed_on: date) -> Account:
    permissions.require(user, "account.maintain", "close accounts")
    with transaction.atomic():
        if ServiceAgreement.objects.filter(account=account, status=ServiceAgreement.Status.ACTIVE).exists():
            raise CustomerError("Stop every service on the account before closing it.")
        Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED, closed_on=closed_on)
        audit.record("account.closed", user_id=user.pk, obj=account, account_id=account.pk, summary=f"closed {closed_on}",
                     before={"status": "active"}, after={"status": "closed"})
    account.refresh_from_db()
    return account


def reveal_pii(*, user, customer: Customer) -> dict[str, str]:
    """Unmasked tax ID and date of birth, for roles that need them (audited)."""
    permissions.require(user, "account.view_pii", "see customer tax ID and date of birth")
    audit.record("customer.pii_viewed", user_id=user.pk, obj=customer, summary=f"PII of {customer.name} shown",
                 account_id=customer.accounts.values_list("pk", flat=True).first())
    return {"tax_id": customer.tax_id, "date_of_birth": customer.date_of_birth}


def record_account_view(*, user, account: Account) -> None:
    permissions.require(user, "account.view", "look up accounts")
    audit.record("account.viewed", user_id=user.pk, obj=account, account_id=account.pk, summary=f"opened account {account.number}")


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

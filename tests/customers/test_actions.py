"""Every customers action: it does what it says, it is audited and shown in
the account's history, and each refusal names the field and changes nothing
(the row counts of every table it could touch are the same after it)."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.billing.models import Bill
from ratepayer.customers import actions
from ratepayer.customers.errors import CustomerError, PossibleDuplicate
from ratepayer.customers.models import (
    Account,
    AgreementEvent,
    Contact,
    Customer,
    Meter,
    MeterInstallation,
    Premise,
    SearchEntry,
    ServiceAgreement,
    ServicePoint,
)
from ratepayer.customers.queries import account_changes, search_account_ids
from ratepayer.metering.models import RegisterRead
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import AuditEvent

TABLES = (Customer, Contact, Account, Premise, ServicePoint, Meter, MeterInstallation, ServiceAgreement,
          AgreementEvent, RegisterRead, Bill, AuditEvent, SearchEntry)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def refused(call, match: str, exc=CustomerError):
    """``call()`` is refused with a message matching ``match`` and every table is as it was."""
    before = counts()
    with pytest.raises(exc, match=match):
        call()
    assert counts() == before


def changes(account) -> list:
    account = Account.objects.get(pk=account.pk)
    return account_changes(account, list(Contact.objects.filter(customer_id=account.customer_id)))


NEW = dict(first_name="Ana", last_name="Reyes", tax_id="987-65-4321", date_of_birth="1991-07-14", language="es",
           phone="(360) 555-0101", email="ana@example.com", mailing_line1="PO Box 9", mailing_city="Monroe",
           mailing_state="WA", mailing_zip="98272", bill_delivery="email", opened_on=date(2025, 1, 10))


# --- a new customer and account -------------------------------------------------------

def test_open_a_customer_and_account(utility, users):
    account = actions.open_customer_account(user=users["specialist"], **NEW)
    customer = account.customer
    assert (customer.name, customer.kind, customer.language) == ("Ana Reyes", "person", "es")
    assert customer.tax_id == "987-65-4321" and customer.date_of_birth == "1991-07-14"
    assert account.number != utility.account.number and len(account.number) == 8
    assert (account.mailing_line1, account.mailing_city, account.mailing_zip, account.paperless,
            account.opened_on) == ("PO Box 9", "Monroe", "98272", True, date(2025, 1, 10))
    contact = Contact.objects.get(customer=customer)
    assert (contact.phone, contact.email, contact.is_primary, contact.prefers) == (
        "(360) 555-0101", "ana@example.com", True, "email")
    assert search_account_ids("reyes") == [account.pk] and search_account_ids("555-0101") == [account.pk]
    whats = [c.what for c in changes(account)]
    assert "Account opened" in whats and "Customer created" in whats
    created = AuditEvent.objects.get(action="customer.created", object_id=str(customer.pk))
    assert created.after["tax_id"] != "987-65-4321"  # the audit trail keeps no tax ID in the clear


def test_an_organization_needs_its_name_and_gets_an_ein(utility, users):
    account = actions.open_customer_account(
        user=users["specialist"], kind="organization", name="Acme Foods Inc.", tax_id="91 1234567",
        mailing_line1="1 Dock St", mailing_city="Everett", mailing_zip="98201-1234", opened_on=date(2025, 1, 10))
    assert account.customer.name == "Acme Foods Inc." and account.customer.tax_id == "91-1234567"
    assert not Contact.objects.filter(customer=account.customer).exists()


@pytest.mark.parametrize(("change", "match"), [
    ({"kind": "robot"}, "^Customer is a: "),
    ({"first_name": "Ana", "last_name": ""}, "^Last name: a person needs a last name"),
    ({"kind": "organization", "name": "", "tax_id": ""}, "^Organization name: this is required"),
    ({"first_name": "A" * 81}, "^First name: at most 80"),
    ({"last_name": "Re\x00yes"}, "^Last name: contains a NUL"),
    ({"mailing_line1": "  "}, "^Street address: this is required"),
    ({"mailing_city": ""}, "^City: this is required"),
    ({"mailing_state": "Washington"}, "^State: "),
    ({"mailing_zip": "9827"}, "^ZIP code: five digits"),
    ({"tax_id": "98-765"}, "^Tax ID: nine digits"),
    ({"tax_id": "98765432X"}, "^Tax ID: nine digits"),
    ({"date_of_birth": "2031-01-01"}, "^Date of birth: 2031-01-01 cannot be right"),
    ({"date_of_birth": "14/07/1991"}, "^Date of birth: a date as YYYY-MM-DD"),
    ({"language": "de"}, "^Language: choose one of en, es, ru"),
    ({"bill_delivery": "fax"}, "^Bill delivery: choose paper or email"),
    ({"phone": "555-01"}, "^Phone: ten digits"),
    ({"email": "ana@"}, "^E-mail: 'ana@' is not an e-mail address"),
    ({"email": "", "bill_delivery": "email"}, "^E-mail: needed for e-bills"),
])
def test_a_new_customer_with_a_bad_field_is_refused_naming_it(utility, users, change, match):
    refused(lambda: actions.open_customer_account(user=users["specialist"], **{**NEW, **change}), match)


def test_only_a_role_that_maintains_accounts_opens_them(utility, users):
    for role in ("assistant", "auditor", "kam"):
        refused(lambda role=role: actions.open_customer_account(user=users[role], **NEW), "not allowed to open",
                PermissionRefused)


@pytest.mark.parametrize(("change", "reasons"), [
    ({"first_name": "JANE", "last_name": "doe"}, ("name",)),
    ({"tax_id": "123 45 6789"}, ("tax ID",)),
    ({"mailing_line1": "1204 pine st", "mailing_zip": "98201-0001"}, ("address",)),
    ({"first_name": "Jane", "last_name": "Doe", "tax_id": "123456789"}, ("name", "tax ID")),
])
def test_a_possible_duplicate_is_refused_with_its_matches_then_confirmed_and_audited(utility, users, change, reasons):
    attempt = {**NEW, **change}
    before = counts()
    with pytest.raises(PossibleDuplicate) as caught:
        actions.open_customer_account(user=users["specialist"], **attempt)
    assert counts() == before
    [match] = caught.value.matches
    assert match.account_number == utility.account.number and match.customer_name == "Jane Doe"
    assert match.reasons == reasons
    assert utility.account.number in str(caught.value) and "confirm" in str(caught.value)

    account = actions.open_customer_account(user=users["specialist"], confirm_not_duplicate=True, **attempt)
    assert account.customer_id != utility.customer.pk
    confirmed = AuditEvent.objects.get(action="customer.duplicate_confirmed", account_id=account.pk)
    assert confirmed.user == users["specialist"]
    assert confirmed.after["matches"] == [{"customer": utility.customer.pk, "account": utility.account.number,
                                           "reasons": list(reasons)}]
    row = next(c for c in changes(account) if c.what == "Possible duplicate confirmed as new")
    assert utility.account.number in row.summary
    assert row.fields == [("matches", "—", f"account {utility.account.number} (same {', '.join(reasons)})")]


def test_a_different_customer_is_no_duplicate(utility, users):
    account = actions.open_customer_account(user=users["specialist"], **{**NEW, "first_name": "Jane"})
    assert not AuditEvent.objects.filter(action="customer.duplicate_confirmed").exists()
    assert account.customer.name == "Jane Reyes"


def test_create_customer_and_open_account_check_their_fields(utility, users):
    user = users["specialist"]
    refused(lambda: actions.create_customer(user=user, name="  "), "^Name: this is required")
    refused(lambda: actions.create_customer(user=user, name="Bo", kind="robot"), "^Customer is a: ")
    refused(lambda: actions.create_customer(user=user, name="Bo", language="xx"), "^Language: ")
    refused(lambda: actions.create_customer(user=users["assistant"], name="Bo"), "not allowed", PermissionRefused)
    customer = actions.create_customer(user=user, name=" Bo  Diaz ")
    assert customer.name == "Bo Diaz"
    good = dict(customer=customer, mailing_line1="PO Box 1", mailing_city="Everett", mailing_zip="98201",
                opened_on=date(2025, 1, 1))
    refused(lambda: actions.open_account(user=user, **{**good, "mailing_zip": "ABCDE"}), "^ZIP code: ")
    refused(lambda: actions.open_account(user=user, **{**good, "mailing_city": ""}), "^City: ")
    refused(lambda: actions.open_account(user=user, **{**good, "mailing_state": "W1"}), "^State: ")
    refused(lambda: actions.open_account(user=users["auditor"], **good), "not allowed", PermissionRefused)
    account = actions.open_account(user=user, **{**good, "mailing_state": "wa"})
    assert account.mailing_state == "WA"


# --- keeping the account's details ----------------------------------------------------

ADDRESS = dict(mailing_line1="55 Alder Ln", mailing_line2="Apt 3", mailing_city="Lynnwood", mailing_state="WA",
               mailing_zip="98036")


def test_a_mailing_address_change_is_audited_and_in_the_history(utility, users):
    account = actions.change_mailing_address(user=users["specialist"], account=utility.account, **ADDRESS)
    assert (account.mailing_line1, account.mailing_line2, account.mailing_city, account.mailing_zip) == (
        "55 Alder Ln", "Apt 3", "Lynnwood", "98036")
    row = changes(account)[0]
    assert row.what == "Account changed" and row.by == "Specialist"
    assert ("mailing line1", "1204 Pine St", "55 Alder Ln") in row.fields
    assert ("mailing city", "Everett", "Lynnwood") in row.fields
    assert ("mailing zip", "98201", "98036") in row.fields
    assert search_account_ids("55 alder") == [account.pk]
    # saving the same address again changes and records nothing
    refused_nothing = counts()
    actions.change_mailing_address(user=users["specialist"], account=account, **ADDRESS)
    assert counts() == refused_nothing


@pytest.mark.parametrize(("change", "match"), [
    ({"mailing_line1": ""}, "^Street address: this is required"),
    ({"mailing_city": " "}, "^City: this is required"),
    ({"mailing_state": "XYZ"}, "^State: "),
    ({"mailing_zip": "980361"}, "^ZIP code: "),
    ({"mailing_line2": "x" * 121}, "^Apartment, suite, PO box: at most 120"),
])
def test_a_bad_mailing_address_is_refused_naming_the_field(utility, users, change, match):
    refused(lambda: actions.change_mailing_address(user=users["specialist"], account=utility.account,
                                                   **{**ADDRESS, **change}), match)
    utility.account.refresh_from_db()
    assert utility.account.mailing_line1 == "1204 Pine St"


def test_only_a_role_that_maintains_accounts_changes_details(utility, users):
    user = users["assistant"]
    contact = utility.customer.contacts.get()
    refused(lambda: actions.change_mailing_address(user=user, account=utility.account, **ADDRESS), "not allowed",
            PermissionRefused)
    refused(lambda: actions.change_bill_preferences(user=user, account=utility.account, language="es"),
            "not allowed", PermissionRefused)
    refused(lambda: actions.add_contact(user=user, customer=utility.customer, name="Tom"), "not allowed",
            PermissionRefused)
    refused(lambda: actions.update_contact(user=user, contact=contact, name="Tom", phone="4255550100"),
            "not allowed", PermissionRefused)
    refused(lambda: actions.remove_contact(user=user, contact=contact), "not allowed", PermissionRefused)


def test_bill_language_and_delivery(utility, users):
    user = users["specialist"]
    account = actions.change_bill_preferences(user=user, account=utility.account, language="ru",
                                              bill_delivery="email")
    assert account.customer.language == "ru" and account.paperless
    row = changes(account)[0]
    assert ("language", "English", "Russian") in row.fields and ("bill delivery", "paper", "email") in row.fields
    refused(lambda: actions.change_bill_preferences(user=user, account=account, language="fr"), "^Language: ")
    refused(lambda: actions.change_bill_preferences(user=user, account=account, bill_delivery="pigeon"),
            "^Bill delivery: ")
    Contact.objects.filter(customer=utility.customer).update(email="")
    actions.change_bill_preferences(user=user, account=account, bill_delivery="paper")
    refused(lambda: actions.change_bill_preferences(user=user, account=account, language="es", bill_delivery="email"),
            "^Bill delivery: e-bills need an e-mail address")
    utility.customer.refresh_from_db()
    assert utility.customer.language == "ru"  # the language in the same request was not changed either


def test_contacts_are_added_changed_and_removed_with_history(utility, users):
    user = users["specialist"]
    old_primary = utility.customer.contacts.get()
    contact = actions.add_contact(user=user, customer=utility.customer, name="Sam Doe", role="Son",
                                  phone="425 555 0199", prefers="phone", is_primary=True)
    old_primary.refresh_from_db()
    assert contact.is_primary and not old_primary.is_primary  # one primary contact
    assert search_account_ids("sam doe") == [utility.account.pk]
    contact = actions.update_contact(user=user, contact=contact, name="Sam Doe", role="Son", phone="425 555 0199",
                                     email="sam@example.com", prefers="email", is_primary=True)
    assert contact.email == "sam@example.com"
    actions.remove_contact(user=user, contact=old_primary)
    rows = changes(utility.account)
    assert [r.what for r in rows[:3]] == ["Contact removed", "Contact changed", "Contact added"]
    assert ("email", "—", "sam@example.com") in rows[1].fields and ("prefers", "phone", "email") in rows[1].fields
    assert "jane.doe@example.com" in rows[0].summary
    assert ("phone", "(425) 555-0142", "—") in rows[0].fields
    assert not [f for r in rows for f in r.fields if f[0] == "contact"]  # no internal row ids
    assert list(Contact.objects.filter(customer=utility.customer)) == [contact]


@pytest.mark.parametrize(("fields", "match"), [
    ({}, "^A contact needs a name, a phone number or an e-mail address"),
    ({"name": "Tom", "prefers": "email"}, "^E-mail: needed when the contact prefers e-mail"),
    ({"name": "Tom", "prefers": "phone"}, "^Phone: needed when the contact prefers the phone"),
    ({"name": "Tom", "prefers": "carrier pigeon"}, "^Prefers: "),
    ({"name": "Tom", "phone": "12"}, "^Phone: ten digits"),
    ({"name": "Tom", "email": "tom at example"}, "^E-mail: "),
    ({"name": "T" * 121}, "^Name: at most 120"),
])
def test_a_bad_contact_is_refused_naming_the_field(utility, users, fields, match):
    refused(lambda: actions.add_contact(user=users["specialist"], customer=utility.customer, **fields), match)
    contact = utility.customer.contacts.get()
    refused(lambda: actions.update_contact(user=users["specialist"], contact=contact, **fields), match)


def test_the_last_e_bill_address_cannot_be_dropped(utility, users):
    user = users["specialist"]
    actions.change_bill_preferences(user=user, account=utility.account, bill_delivery="email")
    contact = utility.customer.contacts.get()
    refused(lambda: actions.remove_contact(user=user, contact=contact), "^E-mail: jane.doe@example.com is where")
    refused(lambda: actions.update_contact(user=user, contact=contact, name="Jane Doe", phone="(425) 555-0142",
                                           prefers="phone", is_primary=True), "^E-mail: .* e-bills go")


# --- premises, service points and meters (new construction) -----------------------------

def test_new_construction_premise_service_point_and_meter_with_its_first_read(utility, users):
    user = users["specialist"]
    premise = actions.create_premise(user=user, line1="77 New Rd", city="Monroe", zip="98272",
                                     parcel_number="280500000010", premise_type="multi_family", dwelling_units=4,
                                     services=["electric", "water", "electric"])
    assert sorted(premise.service_points.values_list("service", flat=True)) == ["electric", "water"]
    irrigation = actions.add_service_point(user=user, premise=premise, service="water", label="Irrigation")
    assert irrigation.label == "Irrigation"
    point = premise.service_points.get(service="water", label="")
    installation = actions.install_new_meter(user=user, service_point=point, serial_number="W77001",
                                             installed_on=date(2025, 1, 2), first_read="0.5", size="3/4",
                                             multiplier="1", dial_count=4)
    meter = installation.meter
    assert (meter.service, meter.unit, meter.size, meter.dial_count) == ("water", "CCF", "3/4", 4)
    read = RegisterRead.objects.get(meter=meter)
    assert (read.read_date, read.value, read.read_type, read.status) == (
        date(2025, 1, 2), Decimal("0.5"), "meter_in", "valid")
    assert set(AuditEvent.objects.filter(user=user, action__in=[
        "premise.created", "service_point.created", "meter.installed", "read.entered"]).values_list(
        "action", flat=True)) == {"premise.created", "service_point.created", "meter.installed", "read.entered"}


@pytest.mark.parametrize(("change", "match"), [
    ({"services": ["gas"]}, "^Service points: unknown service gas"),
    ({"premise_type": "castle"}, "^Premise type: "),
    ({"dwelling_units": 0}, "^Dwelling units: 1 to 5,000"),
    ({"dwelling_units": "many"}, "^Dwelling units: a whole number"),
    ({"zip": "98"}, "^ZIP code: "),
    ({"line1": ""}, "^Street address: this is required"),
    ({"parcel_number": "1" * 21}, "^Parcel number: at most 20"),
])
def test_a_bad_premise_is_refused_naming_the_field(utility, users, change, match):
    good = dict(line1="77 New Rd", city="Monroe", zip="98272", services=["electric"])
    refused(lambda: actions.create_premise(user=users["specialist"], **{**good, **change}), match)


def test_premises_and_meters_need_the_maintain_capability(utility, users):
    point = utility.water.service_point
    refused(lambda: actions.create_premise(user=users["assistant"], line1="1 A St", city="Monroe", zip="98272"),
            "not allowed", PermissionRefused)
    refused(lambda: actions.add_service_point(user=users["assistant"], premise=utility.premise, service="sewer"),
            "not allowed", PermissionRefused)
    refused(lambda: actions.install_new_meter(user=users["assistant"], service_point=point, serial_number="W1",
                                              installed_on=date(2025, 1, 2), first_read="0"),
            "not allowed", PermissionRefused)
    installation = MeterInstallation.objects.get(meter=utility.meter)
    refused(lambda: actions.remove_meter(user=users["kam"], installation=installation,
                                         removed_on=date(2025, 1, 1), removal_read="10"),
            "not allowed", PermissionRefused)


@pytest.mark.parametrize(("change", "match"), [
    ({"first_read": ""}, "^First read: enter the register as installed"),
    ({"first_read": "-1"}, "^First read: a reading of 0 or more"),
    ({"first_read": "12.34567"}, "^First read: a reading of 0 or more with at most 4 decimal places"),
    ({"first_read": "lots"}, "^First read: 'lots' is not a meter reading"),
    ({"serial_number": "E1000123"}, "^Meter number: E1000123 is already on file"),
    ({"serial_number": " "}, "^Meter number: this is required"),
    ({"unit": "gallons"}, "^Unit: "),
    ({"kind": "smart"}, "^Meter type: "),
    ({"size": "9"}, r"^Size \(water\): "),
    ({"dial_count": 0}, "^Dials: 1 to 9"),
    ({"multiplier": "0"}, "^Multiplier: a number greater than 0"),
    ({"multiplier": "x"}, "^Multiplier: a number greater than 0"),
])
def test_a_bad_new_meter_is_refused_naming_the_field(utility, users, change, match):
    point = ServicePoint.objects.create(premise=utility.premise, service="water", label="Irrigation")
    good = dict(service_point=point, serial_number="W88001", installed_on=date(2025, 1, 2), first_read="0")
    refused(lambda: actions.install_new_meter(user=users["specialist"], **{**good, **change}), match)


def test_a_point_holds_one_meter_and_a_meter_one_point(utility, users):
    user = users["specialist"]
    electric = utility.electric.service_point
    refused(lambda: actions.install_new_meter(user=user, service_point=electric, serial_number="E2", first_read="0",
                                              installed_on=date(2025, 1, 2)), "already has a meter installed")
    water = utility.water.service_point
    refused(lambda: actions.install_meter(user=user, meter=utility.meter, service_point=water,
                                          installed_on=date(2025, 1, 2)), "measures electric, not water")
    other = actions.create_premise(user=user, line1="9 Elm St", city="Everett", zip="98201", services=["electric"])
    refused(lambda: actions.install_meter(user=user, meter=utility.meter, service_point=other.service_points.get(),
                                          installed_on=date(2025, 1, 2)), "is installed somewhere else")
    spare = Meter.objects.create(serial_number="W5", service="water")
    refused(lambda: actions.install_meter(user=user, meter=spare, service_point=water, installed_on=date(2025, 1, 2),
                                          install_read="-4"), "^Install read: ")


def test_a_meter_is_removed_once_and_not_before_it_was_installed(utility, users):
    user = users["specialist"]
    installation = MeterInstallation.objects.get(meter=utility.meter)
    refused(lambda: actions.remove_meter(user=user, installation=installation, removed_on=date(2019, 12, 31),
                                         removal_read="0"), "cannot be removed before it was installed")
    refused(lambda: actions.remove_meter(user=user, installation=installation, removed_on=date(2025, 1, 1),
                                         removal_read="minus"), "^Removal read: ")
    actions.remove_meter(user=user, installation=installation, removed_on=date(2025, 1, 1), removal_read="4321")
    installation.refresh_from_db()
    assert installation.removed_on == date(2025, 1, 1) and installation.removal_read == Decimal("4321")
    refused(lambda: actions.remove_meter(user=user, installation=installation, removed_on=date(2025, 1, 2),
                                         removal_read="4321"), "already removed")


# --- starting, stopping and moving service --------------------------------------------

def _new_account(users, **change):
    return actions.open_customer_account(user=users["specialist"], **{**NEW, **change})


def test_start_of_service_for_a_new_customer_with_a_move_in_read_metering_sees(utility, users):
    user = users["specialist"]
    actions.stop_service(user=user, agreement=utility.electric, end_date=date(2025, 1, 9), final_read="5000")
    account = _new_account(users)
    agreement = actions.start_service(user=user, account=account, service_point=utility.electric.service_point,
                                      rate_schedule=utility.electric.rate_schedule, customer_class="residential",
                                      bill_cycle=utility.cycle, start_date=date(2025, 1, 10), move_in_read="5012.5")
    read = RegisterRead.objects.get(meter=utility.meter, read_date=date(2025, 1, 10))
    assert (read.value, read.read_type, read.status, read.service_point_id) == (
        Decimal("5012.5"), "actual", "valid", utility.electric.service_point_id)
    assert account.number in read.note
    assert AgreementEvent.objects.get(agreement=agreement).kind == "start"
    row = next(r for r in changes(account) if r.what == "Service started")
    assert ("move in read", "—", "5012.5") in row.fields and ("rate", "—", "E-7") in row.fields
    assert search_account_ids("1204 pine reyes") == [account.pk]


def test_a_start_is_refused_naming_the_problem_and_nothing_is_started(utility, users):
    user = users["specialist"]
    account = _new_account(users)
    point = ServicePoint.objects.create(premise=utility.premise, service="water", label="Irrigation")
    good = dict(account=account, service_point=point, rate_schedule=utility.water.rate_schedule,
                customer_class="residential", bill_cycle=utility.cycle, start_date=date(2025, 1, 10))
    refused(lambda: actions.start_service(user=user, **{**good, "rate_schedule": utility.electric.rate_schedule}),
            "Rate E-7 is for electric, not water")
    refused(lambda: actions.start_service(user=user, **{**good, "customer_class": "royalty"}), "^Customer class: ")
    refused(lambda: actions.start_service(user=user, **{**good, "dwelling_units": 0}), "^Dwelling units: ")
    refused(lambda: actions.start_service(user=user, **{**good, "move_in_read": "12,5"}), "^Move-in read: ")
    # no meter there: the read cannot be recorded, so the agreement is not created either
    refused(lambda: actions.start_service(user=user, **{**good, "move_in_read": "12"}),
            "^Move-in read: no meter is installed at")
    refused(lambda: actions.start_service(user=user, **{**good, "service_point": utility.water.service_point}),
            f"still served under account {utility.account.number}: stop that service first")
    # an assistant starts service but may not enter reads
    refused(lambda: actions.start_service(user=users["assistant"], **{**good, "move_in_read": "12"}),
            "not allowed to enter the move-in read", PermissionRefused)
    refused(lambda: actions.start_service(user=users["auditor"], **good), "not allowed", PermissionRefused)
    Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED)
    account.refresh_from_db()
    refused(lambda: actions.start_service(user=user, **{**good, "account": account}), "is closed")


def test_a_stop_with_a_final_read_and_its_refusals(utility, users):
    user = users["specialist"]
    refused(lambda: actions.stop_service(user=user, agreement=utility.electric, end_date=date(2023, 12, 1)),
            "cannot end before that")
    refused(lambda: actions.stop_service(user=user, agreement=utility.water, end_date=date(2025, 1, 9),
                                         final_read="7"), "^Final read: no meter is installed")
    refused(lambda: actions.stop_service(user=users["assistant"], agreement=utility.electric,
                                         end_date=date(2025, 1, 9), final_read="7"),
            "not allowed to enter the final read", PermissionRefused)
    actions.stop_service(user=user, agreement=utility.electric, end_date=date(2025, 1, 9), final_read="5000")
    assert RegisterRead.objects.get(meter=utility.meter).read_type == "final"
    row = next(r for r in changes(utility.account) if r.what == "Service stopped")
    assert ("end date", "—", "2025-01-09") in row.fields and ("status", "active", "ended") in row.fields


def test_a_move_is_refused_where_a_service_is_missing(utility, users):
    user = users["specialist"]
    electric_only = actions.create_premise(user=user, line1="9 Elm St", city="Everett", zip="98201",
                                           services=["electric"])
    refused(lambda: actions.transfer_service(user=user, account=utility.account, to_premise=electric_only,
                                             move_date=date(2025, 3, 1)), "has no service point for: water")
    refused(lambda: actions.transfer_service(user=users["auditor"], account=utility.account, to_premise=electric_only,
                                             move_date=date(2025, 3, 1)), "not allowed", PermissionRefused)
    empty = _new_account(users)
    refused(lambda: actions.transfer_service(user=user, account=empty, to_premise=electric_only,
                                             move_date=date(2025, 3, 1)), "has no active service to transfer")


# --- closing an account -----------------------------------------------------------------

def test_closing_needs_every_final_read_and_changes_nothing_without_it(utility, users):
    user = users["specialist"]
    refused(lambda: actions.close_account(user=user, account=utility.account, closed_on=date(2025, 2, 9)),
            "^Final read: enter the electric meter's final read")
    refused(lambda: actions.close_account(user=user, account=utility.account, closed_on=date(2025, 2, 9),
                                          final_reads={utility.electric.pk: "-3"}), "^Final read: a reading of 0")
    refused(lambda: actions.close_account(user=user, account=utility.account, closed_on=date(2023, 2, 9),
                                          final_reads={utility.electric.pk: "5"}), "^Last day of service: ")
    for role in ("assistant", "auditor"):
        refused(lambda role=role: actions.close_account(user=users[role], account=utility.account,
                                                        closed_on=date(2025, 2, 9),
                                                        final_reads={utility.electric.pk: "5"}),
                "not allowed to close", PermissionRefused)
    utility.account.refresh_from_db()
    assert utility.account.status == "active"
    assert ServiceAgreement.objects.filter(account=utility.account, status="active").count() == 2


def test_an_account_that_never_had_service_closes_with_no_bill(utility, users):
    account = _new_account(users)
    account, bill = actions.close_account(user=users["specialist"], account=account, closed_on=date(2025, 1, 31))
    assert account.status == "closed" and bill is None and not Bill.objects.exists()


def test_a_closed_account_is_not_closed_twice(utility, users):
    user = users["specialist"]
    account, _ = actions.close_account(user=user, account=utility.account, closed_on=date(2025, 2, 9),
                                       final_reads={utility.electric.pk: "5"})
    assert account.status == "closed"
    refused(lambda: actions.close_account(user=user, account=account, closed_on=date(2025, 2, 10)),
            "is already closed")
    assert next(r for r in changes(account) if r.what == "Account closed").fields == [
        ("status", "active", "closed"), ("closed on", "—", "2025-02-09")]


# --- correcting the customer ---------------------------------------------------------

def test_a_customer_is_corrected_with_history_and_the_tax_id_masked(utility, users):
    from ratepayer.customers.queries import possible_duplicates

    user = users["specialist"]
    customer = actions.update_customer(user=user, customer=utility.customer, kind="person", first_name="Jane",
                                       last_name="Doe-Smith", tax_id="111 22 3333", date_of_birth="1980-04-03")
    customer.refresh_from_db()
    assert (customer.name, customer.last_name, customer.tax_id, customer.date_of_birth) == (
        "Jane Doe-Smith", "Doe-Smith", "111-22-3333", "1980-04-03")
    assert search_account_ids("doe-smith") == [utility.account.pk]
    assert [m.reasons for m in possible_duplicates(name="Ann Other", tax_id="111223333")] == [("tax ID",)]
    assert possible_duplicates(name="Ann Other", tax_id="123-45-6789") == []
    row = changes(utility.account)[0]
    assert row.what == "Customer changed"
    assert ("name", "Jane Doe", "Jane Doe-Smith") in row.fields and ("tax id", "•••••6789", "•••••3333") in row.fields
    event = AuditEvent.objects.get(action="customer.updated")
    assert "111-22-3333" not in str(event.after) and "1980-04-03" not in str(event.after)
    # nothing typed for tax ID and date of birth keeps them; the same name again records nothing
    before = counts()
    actions.update_customer(user=user, customer=customer, kind="person", first_name="Jane", last_name="Doe-Smith")
    assert counts() == before
    customer.refresh_from_db()
    assert customer.tax_id == "111-22-3333" and customer.date_of_birth == "1980-04-03"


@pytest.mark.parametrize(("change", "match"), [
    ({"kind": "robot"}, "^Customer is a: "),
    ({"last_name": ""}, "^Last name: a person needs a last name"),
    ({"kind": "organization", "first_name": "", "last_name": ""}, "^Organization name: this is required"),
    ({"tax_id": "12345"}, "^Tax ID: nine digits"),
    ({"date_of_birth": "1850-01-01"}, "^Date of birth: 1850-01-01 cannot be right"),
])
def test_a_bad_customer_correction_is_refused_naming_the_field(utility, users, change, match):
    good = dict(kind="person", first_name="Jane", last_name="Roe")
    refused(lambda: actions.update_customer(user=users["specialist"], customer=utility.customer,
                                            **{**good, **change}), match)
    refused(lambda: actions.update_customer(user=users["assistant"], customer=utility.customer, **good),
            "not allowed to change customer details", PermissionRefused)
    utility.customer.refresh_from_db()
    assert utility.customer.name == "Jane Doe"

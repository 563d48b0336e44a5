"""Customer and account pages: the account page, opening a customer and
account, keeping their details, premises and meters (new construction),
starting, stopping and moving service, and closing an account.

Views check the shape of input, call customers.actions and render; the rules
and the permission checks live in the actions (the API calls the same ones).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ratepayer.kernel.money import format_money
from ratepayer.staff import permissions
from ratepayer.staff.forms import add_domain_error
from ratepayer.staff.views import is_htmx, page_number, staff_page

from . import actions, forms, queries
from .errors import CustomerError, PossibleDuplicate
from .fields import mask
from .models import Account, Contact, MeterInstallation, Premise, ServiceAgreement, ServicePoint


def _account(number: str) -> Account:
    return get_object_or_404(Account.objects.select_related("customer"), number=number)


# --- the account page --------------------------------------------------------------

def _account_context(request, account: Account, **extra) -> dict:
    page = queries.account_page(account, history_page=page_number(request))
    customer = account.customer
    context = {
        "page": page, "account": account, "customer": customer,
        "tax_id_masked": mask(customer.tax_id), "dob_masked": "••••-••-••" if customer.date_of_birth else "",
        "note_form": forms.NoteForm(),
    }
    context.update(extra)
    return context


@staff_page
def account(request, number):
    account = _account(number)
    if is_htmx(request) and request.headers.get("HX-Target") == "history":
        permissions.require(request.user, "account.view", "look up accounts")
        history = queries.account_history(account, page_number(request))
        return render(request, "customers/_history.html", {"account": account, "history": history})
    actions.record_account_view(user=request.user, account=account)
    return render(request, "customers/account.html", _account_context(request, account))


@staff_page
@require_POST
def account_pii(request, number):
    account = _account(number)
    revealed = actions.reveal_pii(user=request.user, customer=account.customer)
    if is_htmx(request):
        return render(request, "customers/_pii.html", {"revealed": revealed, "customer": account.customer})
    return render(request, "customers/account.html", _account_context(request, account, revealed=revealed))


@staff_page
@require_POST
def account_note(request, number):
    account = _account(number)
    permissions.require(request.user, "account.note", "add notes")
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            actions.add_note(user=request.user, account=account, text=form.cleaned_data["text"],
                             kind=form.cleaned_data["kind"])
        except CustomerError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect("customers:account", number=account.number)
    return render(request, "customers/account.html", _account_context(request, account, note_form=form), status=400)


# --- a new customer and account ----------------------------------------------------

@staff_page
def new_customer(request):
    """Open a customer and their account. A possible duplicate is shown with
    its matches; the clerk opens the match, or ticks the confirmation and
    saves again (the confirmation is audited)."""
    permissions.require(request.user, "account.maintain", "open accounts")
    matches = []
    status = 200
    if request.method == "POST":
        form = forms.NewCustomerForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                account = actions.open_customer_account(
                    user=request.user, kind=d["kind"], name=d["name"], first_name=d["first_name"],
                    last_name=d["last_name"], tax_id=d["tax_id"], date_of_birth=d["date_of_birth"] or "",
                    language=d["language"], phone=d["phone"], email=d["email"], mailing_line1=d["mailing_line1"],
                    mailing_line2=d["mailing_line2"], mailing_city=d["mailing_city"],
                    mailing_state=d["mailing_state"], mailing_zip=d["mailing_zip"],
                    bill_delivery=d["bill_delivery"], opened_on=d["opened_on"],
                    confirm_not_duplicate=d["confirm_not_duplicate"])
            except PossibleDuplicate as exc:
                matches = exc.matches
            except CustomerError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Account {account.number} opened for {account.customer.name}. "
                                          "Start service next.")
                return redirect("customers:account", number=account.number)
        status = 400
    elif request.method == "GET":
        form = forms.NewCustomerForm()
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "customers/new_customer.html", {"form": form, "matches": matches}, status=status)


# --- keeping an account's details --------------------------------------------------

def _edit_context(account: Account, **extra) -> dict:
    customer = account.customer
    contacts = list(Contact.objects.filter(customer=customer))
    context = {
        "account": account, "customer": customer, "contacts": contacts,
        "address_form": forms.MailingAddressForm(initial={
            "mailing_line1": account.mailing_line1, "mailing_line2": account.mailing_line2,
            "mailing_city": account.mailing_city, "mailing_state": account.mailing_state,
            "mailing_zip": account.mailing_zip}),
        "customer_form": forms.CustomerForm(initial={
            "kind": customer.kind, "first_name": customer.first_name, "last_name": customer.last_name,
            "name": "" if customer.kind == customer.Kind.PERSON and customer.name == (
                f"{customer.first_name} {customer.last_name}".strip()) else customer.name}),
        "preferences_form": forms.PreferencesForm(initial={
            "language": customer.language, "bill_delivery": "email" if account.paperless else "paper"}),
        "contact_forms": [(c, forms.ContactForm(instance=c, prefix=f"c{c.pk}")) for c in contacts],
        "new_contact_form": forms.ContactForm(prefix="new"),
        "op": "",
    }
    context.update(extra)
    return context


@staff_page
def account_edit(request, number):
    """Mailing address, bill language and delivery, and contacts: each change
    is audited with its old and new values and listed on the account page."""
    account = _account(number)
    permissions.require(request.user, "account.maintain", "change account details")
    if request.method == "GET":
        return render(request, "customers/account_edit.html", _edit_context(account))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    op = request.POST.get("op", "")
    extra: dict = {"op": op}
    form = None
    try:
        if op == "address":
            form = extra["address_form"] = forms.MailingAddressForm(request.POST)
            if form.is_valid():
                actions.change_mailing_address(user=request.user, account=account, **form.cleaned_data)
                messages.success(request, "Mailing address changed.")
                return redirect("customers:account", number=account.number)
        elif op == "customer":
            form = extra["customer_form"] = forms.CustomerForm(request.POST)
            if form.is_valid():
                actions.update_customer(user=request.user, customer=account.customer, **form.cleaned_data)
                messages.success(request, "Customer details saved.")
                return redirect("customers:account", number=account.number)
        elif op == "preferences":
            form = extra["preferences_form"] = forms.PreferencesForm(request.POST)
            if form.is_valid():
                actions.change_bill_preferences(user=request.user, account=account, **form.cleaned_data)
                messages.success(request, "Bill language and delivery saved.")
                return redirect("customers:account", number=account.number)
        elif op == "contact_add":
            form = extra["new_contact_form"] = forms.ContactForm(request.POST, prefix="new")
            if form.is_valid():
                actions.add_contact(user=request.user, customer=account.customer, **form.cleaned_data)
                messages.success(request, "Contact added.")
                return redirect("customers:account_edit", number=account.number)
        elif op in ("contact_update", "contact_remove"):
            contact = get_object_or_404(Contact, pk=request.POST.get("contact") or 0, customer=account.customer)
            if op == "contact_remove":
                actions.remove_contact(user=request.user, contact=contact)
                messages.success(request, "Contact removed.")
                return redirect("customers:account_edit", number=account.number)
            form = forms.ContactForm(request.POST, prefix=f"c{contact.pk}")
            extra["contact_forms"] = [(c, form if c.pk == contact.pk else f)
                                      for c, f in _edit_context(account)["contact_forms"]]
            if form.is_valid():
                actions.update_contact(user=request.user, contact=contact, **form.cleaned_data)
                messages.success(request, "Contact changed.")
                return redirect("customers:account_edit", number=account.number)
        else:
            messages.error(request, "Choose what to change.")
    except CustomerError as exc:
        if form is None:
            messages.error(request, f"{exc} Nothing was changed.")
        else:
            add_domain_error(form, exc)
    return render(request, "customers/account_edit.html", _edit_context(account, **extra), status=400)


# --- premises and meters (new construction) ----------------------------------------

@staff_page
def new_premise(request):
    permissions.require(request.user, "account.maintain", "create premises")
    if request.method == "POST":
        form = forms.PremiseForm(request.POST)
        if form.is_valid():
            try:
                premise = actions.create_premise(user=request.user, **form.cleaned_data)
            except CustomerError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Premise {premise.address} created: install its meters.")
                return redirect("customers:premise", premise_id=premise.pk)
        return render(request, "customers/new_premise.html", {"form": form}, status=400)
    return render(request, "customers/new_premise.html", {"form": forms.PremiseForm(initial={"state": "WA"})})


def _premise_context(premise: Premise, **extra) -> dict:
    points = list(premise.service_points.order_by("service", "id"))
    installed = {i.service_point_id: i for i in MeterInstallation.objects.filter(
        service_point__premise=premise, removed_on__isnull=True).select_related("meter")}
    serving = {a.service_point_id: a for a in ServiceAgreement.objects.filter(
        service_point__premise=premise, status=ServiceAgreement.Status.ACTIVE).select_related("account__customer")}
    rows = [(p, installed.get(p.pk), serving.get(p.pk),
             forms.MeterInstallForm(prefix=f"sp{p.pk}"))
            for p in points]
    context = {"premise": premise, "rows": rows, "point_form": forms.ServicePointForm()}
    context.update(extra)
    return context


@staff_page
def premise(request, premise_id: int):
    """A premise's service points, their meters and who is served there; a
    meter is installed here with its first read."""
    premise = get_object_or_404(Premise, pk=premise_id)
    permissions.require(request.user, "account.view", "look up premises")
    if request.method == "GET":
        return render(request, "customers/premise.html", _premise_context(premise))
    if request.POST.get("op") == "service_point":
        permissions.require(request.user, "account.maintain", "add service points")
        point_form = forms.ServicePointForm(request.POST)
        if point_form.is_valid():
            try:
                point = actions.add_service_point(user=request.user, premise=premise, **point_form.cleaned_data)
            except CustomerError as exc:
                add_domain_error(point_form, exc)
            else:
                messages.success(request, f"{point} added: install its meter.")
                return redirect("customers:premise", premise_id=premise.pk)
        return render(request, "customers/premise.html", _premise_context(premise, point_form=point_form),
                      status=400)
    permissions.require(request.user, "account.maintain", "install meters")
    point = get_object_or_404(ServicePoint, pk=request.POST.get("service_point") or 0, premise=premise)
    form = forms.MeterInstallForm(request.POST, prefix=f"sp{point.pk}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.install_new_meter(
                user=request.user, service_point=point, serial_number=d["serial_number"], kind=d["kind"],
                unit=d["unit"], dial_count=d["dial_count"], multiplier=d["multiplier"], size=d["size"],
                installed_on=d["installed_on"], first_read=d["first_read"])
        except CustomerError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Meter {d['serial_number']} installed at {point} with its first read.")
            return redirect("customers:premise", premise_id=premise.pk)
    context = _premise_context(premise)
    context["rows"] = [(p, i, a, form if p.pk == point.pk else f) for p, i, a, f in context["rows"]]
    return render(request, "customers/premise.html", context, status=400)


# --- start, stop and move service --------------------------------------------------

@staff_page
def account_service(request, number):
    account = _account(number)
    permissions.require(request.user, "service.start_stop", "start, stop and transfer service")
    premise_query = request.GET.get("premise", "").strip()[:60]
    found = queries.find_premises(premise_query)
    own_premise_ids = queries.served_premise_ids(account)
    wanted = request.GET.get("premise_id", "")
    chosen = {int(wanted)} if wanted.isdigit() else set()
    vacant = queries.vacant_service_points(own_premise_ids | {p.pk for p in found} | chosen)
    start_form = forms.StartServiceForm(service_points=vacant)
    stop_form = forms.StopServiceForm(account=account)
    transfer_form = forms.TransferServiceForm()
    status = 200
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "start":
                start_form = forms.StartServiceForm(request.POST, service_points=vacant)
                if start_form.is_valid():
                    d = start_form.cleaned_data
                    actions.start_service(
                        user=request.user, account=account, service_point=d["service_point"],
                        rate_schedule=d["rate_schedule"], customer_class=d["customer_class"],
                        bill_cycle=d["bill_cycle"], start_date=d["start_date"],
                        move_in_read=d["move_in_read"] or None, size_class=d["size_class"])
                    messages.success(request, f"{d['service_point']}: service starts {d['start_date']}"
                                              + (f" with a move-in read of {d['move_in_read']}."
                                                 if d["move_in_read"] else "."))
                    return redirect("customers:account", number=account.number)
            elif op == "stop":
                stop_form = forms.StopServiceForm(request.POST, account=account)
                if stop_form.is_valid():
                    d = stop_form.cleaned_data
                    actions.stop_service(user=request.user, agreement=d["agreement"], end_date=d["end_date"],
                                         note=d["note"], final_read=d["final_read"] or None)
                    messages.success(request, f"{d['agreement'].get_service_display()} service ends {d['end_date']}"
                                              + (f" with a final read of {d['final_read']}." if d["final_read"]
                                                 else "."))
                    return redirect("customers:account", number=account.number)
            elif op == "transfer":
                transfer_form = forms.TransferServiceForm(request.POST)
                if transfer_form.is_valid():
                    d = transfer_form.cleaned_data
                    premise = Premise.objects.filter(pk=d["to_premise"]).first()
                    if premise is None:
                        transfer_form.add_error(None, "That premise no longer exists; search again.")
                    else:
                        actions.transfer_service(user=request.user, account=account, to_premise=premise,
                                                 move_date=d["move_date"])
                        messages.success(request, f"Service moved to {premise.address} from {d['move_date']}.")
                        return redirect("customers:account", number=account.number)
            else:
                messages.error(request, "Choose start, stop or transfer.")
        except CustomerError as exc:
            target = {"start": start_form, "stop": stop_form, "transfer": transfer_form}[op]
            add_domain_error(target, exc)
        status = 400
    return render(request, "customers/service.html", {
        "account": account, "start_form": start_form, "stop_form": stop_form, "transfer_form": transfer_form,
        "premise_query": premise_query, "found": found, "own_premise_ids": own_premise_ids,
        "op": request.POST.get("op", ""),
    }, status=status)


# --- closing an account ------------------------------------------------------------

def _metered_services(account: Account) -> list[tuple[ServiceAgreement, str]]:
    active = list(ServiceAgreement.objects.filter(account=account, status=ServiceAgreement.Status.ACTIVE)
                  .select_related("service_point__premise").order_by("service", "pk"))
    meters = dict(MeterInstallation.objects.filter(service_point_id__in=[a.service_point_id for a in active],
                                                   removed_on__isnull=True)
                  .values_list("service_point_id", "meter__serial_number"))
    return [(a, meters[a.service_point_id]) for a in active if a.service_point_id in meters]


@staff_page
def account_close(request, number):
    """Stop every service with its final read, close the account and issue the final bill."""
    account = _account(number)
    permissions.require(request.user, "account.maintain", "close accounts")
    metered = _metered_services(account)
    form = forms.CloseAccountForm(request.POST or None, metered=metered)
    if request.method == "POST":
        if form.is_valid():
            try:
                account, bill = actions.close_account(
                    user=request.user, account=account, closed_on=form.cleaned_data["closed_on"],
                    final_reads=form.final_reads(), note=form.cleaned_data["note"])
            except CustomerError as exc:
                add_domain_error(form, exc)
            else:
                if bill is None:
                    messages.success(request, f"Account {account.number} closed; everything was billed already.")
                elif bill.status == "held":
                    messages.warning(request, f"Account {account.number} closed. Its final bill of {bill.bill_date:%Y-%m-%d} is held for "
                                              "review: see the review queue.")
                else:
                    messages.success(request, f"Account {account.number} closed. Final bill of {bill.bill_date:%Y-%m-%d}: "
                                              f"{format_money(bill.amount_due)} due {bill.due_date:%Y-%m-%d}.")
                return redirect("customers:account", number=account.number)
        status = 400
    else:
        status = 200
    services = ServiceAgreement.objects.filter(account=account, status=ServiceAgreement.Status.ACTIVE) \
        .select_related("service_point__premise").order_by("service")
    return render(request, "customers/close.html", {"account": account, "form": form, "services": services},
                  status=status)

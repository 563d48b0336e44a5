"""Console pages of the collections backbone: the worklist (what needs action
today, by step), an account's collections tab, the service-order board with
field completion, and the collection policy. Views check input, call actions
and queries, and render; the actions refuse what a role may not do."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer.customers.models import CUSTOMER_CLASSES, Account
from ratepayer.rates.models import SERVICES
from ratepayer.staff import permissions
from ratepayer.staff.forms import add_domain_error
from ratepayer.staff.models import ApprovalRequest
from ratepayer.staff.views import staff_page

from .. import panels, queries
from ..actions import daily, orders
from ..actions import policy as policy_actions
from ..errors import CollectionsError
from ..models.core import UTILITY_TYPES, CollectionPolicy, ServiceOrder

RUN_CAPABILITY = "billing.run"  # whoever starts bill runs starts the collections run


def _day(request, name: str = "date") -> date:
    text = request.GET.get(name) or request.POST.get(name) or ""
    try:
        return date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        return timezone.localdate()


# --- worklist ---------------------------------------------------------------------


@staff_page(capability="account.view", doing="see the collections worklist")
def worklist(request):
    on = _day(request)
    steps = queries.worklist_counts(on)
    step = request.GET.get("step") or next((s.key for s in steps if s.count), steps[0].key)
    return render(request, "collections/worklist.html", {
        "on": on, "steps": steps, "step": step, "step_label": next((s.label for s in steps if s.key == step), ""),
        "rows": queries.worklist_rows(step, on), "totals": queries.aging_totals(on),
        "bucket_labels": queries.BUCKET_LABELS, "can_run": permissions.has(request.user, RUN_CAPABILITY)})


@staff_page(capability=RUN_CAPABILITY, doing="run the collections job")
@require_POST
def run_job(request):
    on = _day(request)
    result = daily.run(on, user=request.user)
    messages.success(request, (f"Collections run for {on}: {result.late_fees} late fees, {result.past_due_notices} "
                               f"past-due and {result.final_notices} final notices, {result.disconnect_orders} "
                               f"disconnect and {result.reconnect_orders} reconnect orders, {result.referrals} "
                               "agency candidates."))
    return redirect(f"{request.path.rsplit('run', 1)[0]}?date={on.isoformat()}")


# --- an account's collections tab ------------------------------------------------------------


@staff_page(capability="account.view", doing="see an account's collections")
def account(request, number):
    acct = get_object_or_404(Account.objects.select_related("customer"), number=number)
    on = _day(request)
    status = queries.account_collections(acct.pk, on)
    disconnected = [o for o in status.orders if o.kind == "disconnect" and o.status == "completed"
                    and o.field_result == "done"
                    and not any(r.kind == "reconnect" and r.service_point_id == o.service_point_id
                                and r.requested_on >= o.completed_on and r.status != "cancelled"
                                for r in status.orders)]
    return render(request, "collections/account.html", {
        "account": acct, "status": status, "on": on, "bucket_labels": queries.BUCKET_LABELS,
        "buckets": queries.BUCKETS, "stage_label": dict(queries.STAGES).get(status.stage, status.stage),
        "disconnected": disconnected, "can_work": permissions.has(request.user, orders.WORK_CAPABILITY),
        "panels": panels.render_panels(request, acct, on)})


@staff_page(capability=orders.WORK_CAPABILITY, doing="order a reconnection")
@require_POST
def reconnect(request, number, order_id):
    acct = get_object_or_404(Account, number=number)
    order = get_object_or_404(ServiceOrder, pk=order_id, account=acct)
    try:
        orders.order_reconnect(user=request.user, disconnect=order, reason=request.POST.get("reason", ""),
                               charge_fee=request.POST.get("waive_fee") != "1")
    except CollectionsError as exc:
        messages.error(request, f"{exc} Nothing was changed.")
    else:
        messages.success(request, "Reconnect ordered; the crew sees it on the service-order board.")
    return redirect("collections:account", number=number)


# --- service-order board ------------------------------------------------------------------


class CompleteForm(forms.Form):
    field_result = forms.ChoiceField(choices=ServiceOrder.FieldResult.choices, label="Field result")
    completed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Completed on")
    notes = forms.CharField(max_length=300, required=False, label="Notes")


@staff_page(capability="account.view", doing="see service orders")
def board(request):
    kind = request.GET.get("kind", "")
    open_orders = (ServiceOrder.objects.filter(status__in=ServiceOrder.OPEN)
                   .select_related("account", "account__customer", "service_point", "service_point__premise")
                   .order_by("scheduled_for", "requested_on", "id"))
    if kind in ServiceOrder.Kind.values:
        open_orders = open_orders.filter(kind=kind)
    open_orders = list(open_orders[:300])
    done = list(ServiceOrder.objects.filter(status__in=["completed", "cancelled"])
                .select_related("account", "service_point").order_by("-completed_on", "-id")[:25])
    columns = [(k, label, [o for o in open_orders if o.kind == k]) for k, label in ServiceOrder.Kind.choices
               if not kind or k == kind]
    return render(request, "collections/board.html", {
        "columns": columns, "done": done, "kind": kind, "kinds": ServiceOrder.Kind.choices,
        "form": CompleteForm(initial={"completed_on": timezone.localdate(), "field_result": "done"}),
        "can_work": permissions.has(request.user, orders.WORK_CAPABILITY), "today": timezone.localdate()})


@staff_page(capability=orders.WORK_CAPABILITY, doing="record field work")
@require_POST
def complete(request, order_id):
    order = get_object_or_404(ServiceOrder, pk=order_id)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Field result and completion date are needed. Nothing was changed.")
        return redirect("collections:board")
    try:
        order = orders.complete_order(user=request.user, order=order, result=form.cleaned_data["field_result"],
                                      on=form.cleaned_data["completed_on"], notes=form.cleaned_data["notes"])
    except CollectionsError as exc:
        messages.error(request, f"Order #{order.pk}: {exc} Nothing was changed.")
    else:
        messages.success(request, f"Order #{order.pk} completed: {order.get_field_result_display()}.")
    return redirect("collections:board")


# --- policy ----------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="In force from",
                                     help_text="tomorrow at the earliest; fees already charged keep their policy")
    utility_type = forms.ChoiceField(choices=UTILITY_TYPES, label="Utility type")
    service = forms.ChoiceField(choices=[("", "any service"), *SERVICES], required=False, label="Service")
    customer_class = forms.ChoiceField(choices=[("", "any class"), *CUSTOMER_CLASSES], required=False,
                                       label="Customer class")
    late_fee_kind = forms.ChoiceField(choices=CollectionPolicy.LateFeeKind.choices, label="Late fee")
    late_fee_percent = forms.CharField(label="Late fee %", help_text="water-sewer: at most 10 (RCW 57.08.081(3))")
    late_fee_flat = forms.CharField(label="Late fee, flat $")
    late_fee_minimum_balance = forms.CharField(label="No fee under $")
    late_fee_grace_days = forms.CharField(label="Grace days after due")
    past_due_notice_day = forms.CharField(label="Past-due notice, days after due")
    final_notice_day = forms.CharField(label="Final notice, days after due")
    final_notice_wait_days = forms.CharField(label="Disconnect from, days after final notice")
    final_notice_valid_days = forms.CharField(label="Final notice valid for, days")
    disconnect_weekdays = forms.CharField(label="Disconnect weekdays", help_text="0 = Monday … 6 = Sunday; 0123 = Mon–Thu")
    disconnect_hour_from = forms.CharField(label="Disconnect from hour")
    disconnect_hour_to = forms.CharField(label="Disconnect until hour")
    disconnect_minimum_balance = forms.CharField(label="No disconnect under $")
    reconnect_fee = forms.CharField(label="Reconnect fee $")
    arrangement_max_installments = forms.CharField(label="Arrangement: most installments")
    arrangement_down_payment_percent = forms.CharField(label="Arrangement: down payment %")
    contract_max_months = forms.CharField(label="Longest contract, months", help_text="water-sewer: at most 180")
    conservation_loan_max_months = forms.CharField(label="Longest conservation loan, months",
                                                   help_text="at most 240 (RCW 54.16.280)")
    agency_referral_threshold = forms.CharField(label="Agency referral over $")
    agency_referral_days = forms.CharField(label="Agency referral after days past due")
    write_off_threshold = forms.CharField(label="Write off at or under $")
    lien_interest_percent = forms.CharField(label="Lien interest %", help_text="at most prime + 4")
    prime_rate_percent = forms.CharField(label="Bank's prime rate %")
    reason = forms.CharField(max_length=200, label="Reason", help_text="e.g. the board's resolution number")


def _policy_rows(today: date) -> list[CollectionPolicy]:
    rows = list(CollectionPolicy.objects.select_related("proposed_by", "approved_by")
                .order_by("utility_type", "service", "customer_class", "-effective_from"))
    seen: set = set()
    for row in rows:
        scope = (row.utility_type, row.service, row.customer_class)
        if row.effective_from > today:
            row.state = "scheduled"
        elif scope not in seen:
            row.state = "in force"
            seen.add(scope)
        else:
            row.state = "superseded"
    return rows


@staff_page(capability="account.view", doing="see the collection policy")
def policy(request):
    today = timezone.localdate()
    can_edit = permissions.has(request.user, policy_actions.POLICY_CAPABILITY)
    rows = _policy_rows(today)
    status = 200
    if request.method == "POST":
        permissions.require(request.user, policy_actions.POLICY_CAPABILITY, "change the collection policy")
        form = PolicyForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                req = policy_actions.request_policy_change(user=request.user, effective_from=data.pop("effective_from"),
                                                           reason=data.pop("reason"), values=data, today=today)
            except CollectionsError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, f"{exc} Nothing was changed.")
                else:
                    add_domain_error(form, exc)
            else:
                messages.success(request, f"Policy change sent for approval (request #{req.pk}); it is in force "
                                          "once a second person approves it.")
                return redirect("collections:collection_policy")
        status = 400
    else:
        base = next((r for r in rows if r.state == "in force" and r.utility_type == request.GET.get("scope", "pud")),
                    None) or next((r for r in rows if r.state == "in force"), None)
        initial = policy_actions.policy_values(base)
        form = PolicyForm(initial={**initial, "effective_from": today + timedelta(days=1)})
    pending = list(ApprovalRequest.objects.filter(kind=policy_actions.POLICY_KIND, status="pending")
                   .select_related("maker").order_by("requested_at"))
    return render(request, "collections/policy.html", {"rows": rows, "form": form, "can_edit": can_edit,
                                                       "pending": pending}, status=status)

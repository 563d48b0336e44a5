"""Console pages. Views check input, call actions, and render; the rules live
in the actions (a forbidden action is refused there, whatever the page shows)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer.billing.actions import request_adjustment
from ratepayer.billing.errors import BillingError
from ratepayer.customers.errors import CustomerError
from ratepayer.customers.models import Account
from ratepayer.customers.queries import service_balances
from ratepayer.kernel.money import format_money
from ratepayer.ledger.errors import LedgerError
from ratepayer.staff import actions as staff_actions
from ratepayer.staff import approvals, audit, limits, permissions
from ratepayer.staff.errors import ApprovalError, StaffError
from ratepayer.staff.models import ApprovalLimit, ApprovalRequest, AuditEvent
from ratepayer.staff.roles import LIMITED_ACTIONS, ROLES
from ratepayer.staff.views import staff_page

from . import forms, queries

AUDIT_PAGE_SIZE = 50


def _attach_account_numbers(rows) -> None:
    numbers = queries.account_numbers([r.account_id for r in rows])
    for row in rows:
        row.account_number = numbers.get(row.account_id, "")


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page_number(request, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


def _account(number: str) -> Account:
    return get_object_or_404(Account.objects.select_related("customer"), number=number)


# --- sign in -----------------------------------------------------------------

login = auth_views.LoginView.as_view(form_class=forms.LoginForm, template_name="registration/login.html",
                                     redirect_authenticated_user=True)
logout = auth_views.LogoutView.as_view()


# --- home --------------------------------------------------------------------

@staff_page
def home(request):
    permissions.require(request.user, "account.view", "use the console")
    inbox = list(approvals.inbox_for(request.user)[:10])
    mine = list(ApprovalRequest.objects.filter(maker=request.user, status=ApprovalRequest.Status.PENDING)
                .order_by("-requested_at")[:10])
    _attach_account_numbers(inbox + mine)
    return render(request, "console/home.html", {
        "inbox": inbox, "my_pending": mine,
        "recent_accounts": queries.recently_opened_accounts(request.user),
    })


# --- search ------------------------------------------------------------------

@staff_page
def search(request):
    permissions.require(request.user, "account.view", "look up accounts")
    query = request.GET.get("q", "").strip()[:100]
    hits = queries.search_hits(query) if query else []
    if _is_htmx(request):
        return render(request, "console/_search_results.html", {"hits": hits, "query": query})
    if len(hits) == 1 and request.GET.get("go") != "0":
        return redirect("customers:account", number=hits[0].account.number)
    return render(request, "console/search.html", {"hits": hits, "query": query})


# --- adjustments ---------------------------------------------------------------

@staff_page
def account_adjust(request, number):
    account = _account(number)
    permissions.require(request.user, "adjustment.request", "make adjustments")
    if request.method == "POST":
        form = forms.AdjustmentForm(request.POST, account=account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                adjustment = request_adjustment(
                    user=request.user, agreement=data["agreement"], direction=data["direction"],
                    amount=str(data["amount"]), reason_code=data["reason"].code, memo=data["memo"],
                    effective_date=data["effective_date"])
            except (BillingError, LedgerError) as exc:
                forms.add_domain_error(form, exc)
            else:
                if adjustment.status == "posted":
                    messages.success(request, f"{adjustment.get_direction_display().split(' (')[0]} adjustment of "
                                              f"{format_money(adjustment.amount)} posted.")
                else:
                    messages.warning(request, f"{format_money(adjustment.amount)} is above your adjustment limit: "
                                              f"request #{adjustment.approval_request_id} waits for another "
                                              "person's approval. Nothing is posted until then.")
                return redirect("customers:account", number=account.number)
    elif request.method == "GET":
        form = forms.AdjustmentForm(account=account, initial={"agreement": request.GET.get("agreement")})
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "console/adjust.html", {
        "account": account, "form": form,
        "my_limit": limits.limit_for(request.user, "adjustment"),
        "services": service_balances(account),
    }, status=400 if request.method == "POST" else 200)


# --- approvals ---------------------------------------------------------------

def _approvals_context(request, **extra) -> dict:
    inbox = list(approvals.inbox_for(request.user))
    mine = list(ApprovalRequest.objects.filter(maker=request.user).select_related("decided_by")
                .order_by("-requested_at", "-id")[:25])
    decided = list(ApprovalRequest.objects.filter(decided_by=request.user).select_related("maker")
                   .order_by("-decided_at", "-id")[:10])
    my_limits = {action: limits.limit_for(request.user, action) for action in {r.action for r in inbox if r.action}}
    for r in inbox:
        r.within_my_limit = not r.action or r.amount is None or abs(r.amount) <= my_limits[r.action]
    _attach_account_numbers(inbox + mine + decided)
    context = {
        "inbox": inbox, "mine": mine, "decided": decided,
        "can_decide": permissions.has(request.user, "approval.decide"),
        "decision_form": forms.DecisionForm(),
    }
    context.update(extra)
    return context


@staff_page
def approvals_inbox(request):
    permissions.require(request.user, "account.view", "use the console")
    return render(request, "console/approvals.html", _approvals_context(request))


@staff_page
@require_POST
def approval_decide(request, request_id):
    form = forms.DecisionForm(request.POST)
    decision = request.POST.get("decision")
    note = form.data.get("note", "")[:500]
    try:
        if decision == "approve":
            done = approvals.approve(request_id=request_id, approver=request.user, note=note)
            messages.success(request, f"Request #{done.pk} approved and carried out.")
        elif decision == "reject":
            done = approvals.reject(request_id=request_id, approver=request.user, note=note)
            messages.success(request, f"Request #{done.pk} rejected.")
        elif decision == "withdraw":
            done = approvals.cancel(request_id=request_id, maker=request.user, note=note)
            messages.success(request, f"Request #{done.pk} withdrawn.")
        else:
            raise ApprovalError("Choose approve or reject.")
    except ApprovalRequest.DoesNotExist:
        return render(request, "console/approvals.html",
                      _approvals_context(request, error=f"There is no request #{request_id}."), status=404)
    except (ApprovalError, BillingError, CustomerError, LedgerError) as exc:
        return render(request, "console/approvals.html",
                      _approvals_context(request, error=f"Request #{request_id}: {exc}", error_id=request_id),
                      status=400)
    return redirect("console:approvals")


# --- approval limits ---------------------------------------------------------

@staff_page
def approval_limits(request):
    permissions.require(request.user, "account.view", "use the console")
    form = forms.LimitForm()
    status = 200
    if request.method == "POST":
        permissions.require(request.user, "approval_limit.edit", "change approval limits")
        form = forms.LimitForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                row = limits.set_limit(user=request.user, role=d["role"], action=d["action"], amount=d["amount"],
                                       effective_from=d["effective_from"], reason=d["reason"])
            except StaffError as exc:
                forms.add_domain_error(form, exc)
            else:
                messages.success(request, f"{row.role}: {LIMITED_ACTIONS[row.action].lower()} limit "
                                          f"{format_money(row.amount)} from {row.effective_from}.")
                return redirect("console:limits")
        status = 400
    today = timezone.localdate()
    in_force = limits.limits_in_force(today)
    actions = list(LIMITED_ACTIONS.items())
    matrix = [(role, [in_force.get((role, action)) for action, _ in actions]) for role in ROLES]
    scheduled = list(ApprovalLimit.objects.filter(effective_from__gt=today).select_related("set_by")
                     .order_by("effective_from", "role", "action"))
    history = list(ApprovalLimit.objects.filter(set_by__isnull=False).select_related("set_by")
                   .order_by("-set_at", "-id")[:20])
    return render(request, "console/limits.html", {
        "form": form, "actions": actions, "matrix": matrix, "scheduled": scheduled, "history": history,
        "today": today, "can_edit": permissions.has(request.user, "approval_limit.edit"),
        "my_roles": permissions.roles_of(request.user),
    }, status=status)


# --- audit trail -------------------------------------------------------------

@staff_page
def audit_trail(request):
    permissions.require(request.user, "audit.view", "read the audit trail")
    form = forms.AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("user").order_by("-at", "-id")
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d["user"]:
            events = events.filter(user=d["user"])
        if d["action"]:
            events = events.filter(Q(action__startswith=d["action"].strip()))
        if d["account"]:
            account_id = Account.objects.filter(number=d["account"].strip()).values_list("pk", flat=True).first()
            if account_id is None:
                form.add_error("account", f"No account has the number {d['account'].strip()}.")
            events = events.filter(account_id=account_id if account_id is not None else -1)
        zone = timezone.get_current_timezone()
        if d["date_from"]:
            events = events.filter(at__gte=timezone.make_aware(datetime.combine(d["date_from"], time.min), zone))
        if d["date_to"]:
            events = events.filter(at__lte=timezone.make_aware(datetime.combine(d["date_to"], time.max), zone))
    elif form.is_bound:
        events = events.none()
    page = _page_number(request)
    rows = list(events[(page - 1) * AUDIT_PAGE_SIZE: page * AUDIT_PAGE_SIZE + 1])
    has_next = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    query = request.GET.copy()
    query.pop("page", None)
    _attach_account_numbers(rows)
    return render(request, "console/audit.html", {
        "form": form, "events": rows, "page": page, "has_next": has_next,
        "filter_query": query.urlencode(),
    })


# --- staff administration ----------------------------------------------------

def _staff_context(request, **extra) -> dict:
    users = list(get_user_model().objects.filter(is_superuser=False).prefetch_related("groups")
                 .order_by("-is_active", "username"))
    for user in users:
        user.role_names = sorted(g.name for g in user.groups.all())
    today = timezone.localdate()
    in_force = limits.limits_in_force(today)
    limit_actions = list(LIMITED_ACTIONS.items())
    context = {
        "staff": users, "roles": ROLES, "today": today, "limit_actions": limit_actions,
        "limit_matrix": [(role, [in_force.get((role, action)) for action, _ in limit_actions]) for role in ROLES],
        "form": forms.StaffUserForm(),
    }
    context.update(extra)
    return context


@staff_page
def staff_users(request):
    """Staff list, a new user with one role, and the approval limits per role."""
    permissions.require(request.user, "users.admin", "administer staff users")
    if request.method == "POST":
        form = forms.StaffUserForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                user, password = staff_actions.create_staff_user_with_temporary_password(
                    username=d["username"].strip(), role=d["role"], first_name=d["first_name"],
                    last_name=d["last_name"], email=d["email"], created_by=request.user)
            except StaffError as exc:
                forms.add_domain_error(form, exc)
            else:
                return render(request, "console/staff_user.html",
                              _staff_user_context(request, user, temporary_password=password, created=True))
        return render(request, "console/staff.html", _staff_context(request, form=form), status=400)
    return render(request, "console/staff.html", _staff_context(request))


def _staff_user_context(request, user, **extra) -> dict:
    events = list(AuditEvent.objects.filter(Q(object_type="auth.user", object_id=str(user.pk)) | Q(user=user))
                  .select_related("user").order_by("-at", "-id")[:15])
    context = {
        "person": user, "person_roles": permissions.roles_of(user),
        "role_form": forms.StaffRoleForm(initial={"role": (permissions.roles_of(user) or [""])[0]}),
        "deactivate_form": forms.StaffDeactivateForm(), "events": events,
        "is_me": user.pk == request.user.pk,
    }
    context.update(extra)
    return context


@staff_page
def staff_user(request, user_id: int):
    """One staff user: change role, deactivate / reactivate, reset the password."""
    permissions.require(request.user, "users.admin", "administer staff users")
    user = get_object_or_404(get_user_model(), pk=user_id, is_superuser=False)
    if request.method != "POST":
        return render(request, "console/staff_user.html", _staff_user_context(request, user))
    op = request.POST.get("op", "")
    extra: dict = {}
    try:
        if op == "role":
            form = forms.StaffRoleForm(request.POST)
            if not form.is_valid():
                raise StaffError("Role: choose one of the roles.")
            staff_actions.set_staff_role(user=user, role=form.cleaned_data["role"], by=request.user)
            messages.success(request, f"{user.get_username()} is now {form.cleaned_data['role']}.")
        elif op == "deactivate":
            form = forms.StaffDeactivateForm(request.POST)
            reason = form.data.get("reason", "")[:200]
            staff_actions.set_staff_active(user=user, active=False, reason=reason, by=request.user)
            messages.success(request, f"{user.get_username()} is deactivated: they can no longer sign in.")
        elif op == "reactivate":
            staff_actions.set_staff_active(user=user, active=True, by=request.user)
            messages.success(request, f"{user.get_username()} is active again.")
        elif op == "reset_password":
            extra["temporary_password"] = staff_actions.reset_staff_password(user=user, by=request.user)
            return render(request, "console/staff_user.html", _staff_user_context(request, user, **extra))
        else:
            raise StaffError("Choose what to change.")
    except StaffError as exc:
        return render(request, "console/staff_user.html",
                      _staff_user_context(request, user, error=str(exc), error_op=op), status=400)
    return redirect("console:staff_user", user_id=user.pk)


class _PasswordChange(auth_views.PasswordChangeView):
    template_name = "console/password_change.html"
    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("user.password_changed", obj=self.request.user, user_id=self.request.user.pk,
                     summary=f"{self.request.user.get_username()} changed their password")
        messages.success(self.request, "Your password is changed.")
        return response


password_change = staff_page(_PasswordChange.as_view())

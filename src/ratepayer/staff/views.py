"""Staff pages (approvals, approval limits, the audit trail, staff users), and the one decorator every staff page of every app stands behind.

``staff_page`` is the single gate of the console: signed-in staff only, the
role's capability checked when the page names one, a refused action
(``PermissionRefused``, raised by the actions whatever the page showed)
rendered as a 403 page that says why, and never cached — the pages carry
customer details, and a shared or back-button cache must not show them to
the next person at the counter. A test walks every URL pattern and refuses a
staff page that is not wrapped by it."""

from __future__ import annotations

import functools
from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ratepayer.kernel.money import format_money

from . import accounts, actions, approvals, forms, limits, permissions
from .errors import ApprovalError, PermissionRefused, StaffError
from .models import ApprovalLimit, ApprovalRequest, AuditEvent
from .roles import CAPABILITIES, LIMITED_ACTIONS, ROLES

AUDIT_PAGE_SIZE = 50

# Set on every view staff_page returns; tests/staff/test_staff_page.py walks the
# URL patterns and requires it on every page outside the sign-in and the API.
STAFF_PAGE_MARK = "ratepayer_staff_page"


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def staff_page(view=None, *, capability: str | None = None, doing: str | None = None):
    """Wrap a staff page: ``@staff_page`` or ``@staff_page(capability="billing.run", doing="run bills")``.

    ``capability`` is checked before the view runs (``doing`` words the refusal);
    pages whose check depends on the request (GET to look, POST to change) call
    ``permissions.require`` themselves and raise into the same 403 page. An htmx
    request whose session has ended sends the whole page to the sign-in form
    instead of swapping the form into a corner of the page."""
    if capability is not None and capability not in CAPABILITIES:
        raise ValueError(f"staff_page: unknown capability {capability!r}")
    if view is None:
        return functools.partial(staff_page, capability=capability, doing=doing)

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        try:
            if capability is not None:
                permissions.require(request.user, capability, doing)
            return view(request, *args, **kwargs)
        except PermissionRefused as exc:
            return render(request, "staff/403.html", {"message": str(exc)}, status=403)

    signed_in_only = login_required(checked)

    @functools.wraps(view)
    def entry(request, *args, **kwargs):
        if is_htmx(request) and not request.user.is_authenticated:
            back_to = request.headers.get("HX-Current-URL", "")
            back_to = back_to if url_has_allowed_host_and_scheme(back_to, allowed_hosts={request.get_host()}) else "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back_to})}"
            return response
        return signed_in_only(request, *args, **kwargs)

    page = never_cache(entry)
    setattr(page, STAFF_PAGE_MARK, True)
    return page


def page_number(request, name: str = "page") -> int:
    """The page asked for in ``?page=`` (1 for anything that is not a positive whole number)."""
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


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
    accounts.attach_numbers(inbox + mine + decided)
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
    return render(request, "staff/approvals.html", _approvals_context(request))


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
        return render(request, "staff/approvals.html",
                      _approvals_context(request, error=f"There is no request #{request_id}."), status=404)
    except approvals.refusals() as exc:
        return render(request, "staff/approvals.html",
                      _approvals_context(request, error=f"Request #{request_id}: {exc}", error_id=request_id),
                      status=400)
    return redirect("staff:approvals")


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
                return redirect("staff:limits")
        status = 400
    today = timezone.localdate()
    in_force = limits.limits_in_force(today)
    actions = list(LIMITED_ACTIONS.items())
    matrix = [(role, [in_force.get((role, action)) for action, _ in actions]) for role in ROLES]
    scheduled = list(ApprovalLimit.objects.filter(effective_from__gt=today).select_related("set_by")
                     .order_by("effective_from", "role", "action"))
    history = list(ApprovalLimit.objects.filter(set_by__isnull=False).select_related("set_by")
                   .order_by("-set_at", "-id")[:20])
    return render(request, "staff/limits.html", {
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
            account_id = accounts.id_of(d["account"].strip())
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
    page = page_number(request)
    rows = list(events[(page - 1) * AUDIT_PAGE_SIZE: page * AUDIT_PAGE_SIZE + 1])
    has_next = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    query = request.GET.copy()
    query.pop("page", None)
    accounts.attach_numbers(rows)
    return render(request, "staff/audit.html", {
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
                user, password = actions.create_staff_user_with_temporary_password(
                    username=d["username"].strip(), role=d["role"], first_name=d["first_name"],
                    last_name=d["last_name"], email=d["email"], created_by=request.user)
            except StaffError as exc:
                forms.add_domain_error(form, exc)
            else:
                return render(request, "staff/staff_user.html",
                              _staff_user_context(request, user, temporary_password=password, created=True))
        return render(request, "staff/staff.html", _staff_context(request, form=form), status=400)
    return render(request, "staff/staff.html", _staff_context(request))


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
        return render(request, "staff/staff_user.html", _staff_user_context(request, user))
    op = request.POST.get("op", "")
    extra: dict = {}
    try:
        if op == "role":
            form = forms.StaffRoleForm(request.POST)
            if not form.is_valid():
                raise StaffError("Role: choose one of the roles.")
            actions.set_staff_role(user=user, role=form.cleaned_data["role"], by=request.user)
            messages.success(request, f"{user.get_username()} is now {form.cleaned_data['role']}.")
        elif op == "deactivate":
            form = forms.StaffDeactivateForm(request.POST)
            reason = form.data.get("reason", "")[:200]
            actions.set_staff_active(user=user, active=False, reason=reason, by=request.user)
            messages.success(request, f"{user.get_username()} is deactivated: they can no longer sign in.")
        elif op == "reactivate":
            actions.set_staff_active(user=user, active=True, by=request.user)
            messages.success(request, f"{user.get_username()} is active again.")
        elif op == "reset_password":
            extra["temporary_password"] = actions.reset_staff_password(user=user, by=request.user)
            return render(request, "staff/staff_user.html", _staff_user_context(request, user, **extra))
        else:
            raise StaffError("Choose what to change.")
    except StaffError as exc:
        return render(request, "staff/staff_user.html",
                      _staff_user_context(request, user, error=str(exc), error_op=op), status=400)
    return redirect("staff:staff_user", user_id=user.pk)

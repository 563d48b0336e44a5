"""Console pages: the shell around every app's pages — sign in, home, search
and the password change. Each domain keeps its own pages (``staff.views``:
approvals, limits, audit, staff users; ``billing.views``: adjustments; ...).
Views check input, call actions, and render; the rules live in the actions
(a forbidden action is refused there, whatever the page shows)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from ratepayer.staff import approvals, audit, permissions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.models import ApprovalRequest
from ratepayer.staff.views import is_htmx, staff_page

from . import forms, queries


def _attach_account_numbers(rows) -> None:
    numbers = queries.account_numbers([r.account_id for r in rows])
    for row in rows:
        row.account_number = numbers.get(row.account_id, "")


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
    if is_htmx(request):
        return render(request, "console/_search_results.html", {"hits": hits, "query": query})
    if len(hits) == 1 and request.GET.get("go") != "0":
        return redirect("customers:account", number=hits[0].account.number)
    return render(request, "console/search.html", {"hits": hits, "query": query})


class _PasswordChange(auth_views.PasswordChangeView):
    template_name = "console/password_change.html"
    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(AuditAction.USER_PASSWORD_CHANGED, obj=self.request.user, user_id=self.request.user.pk,
                     summary=f"{self.request.user.get_username()} changed their password")
        messages.success(self.request, "Your password is changed.")
        return response


password_change = staff_page(_PasswordChange.as_view())

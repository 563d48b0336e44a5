"""Staff pages (mounted at the root by ratepayer.urls, so /approvals/, /limits/,
/audit/ and /staff/ keep their addresses)."""

from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("approvals/", views.approvals_inbox, name="approvals"),
    path("approvals/<int:request_id>/decide/", views.approval_decide, name="approval_decide"),
    path("limits/", views.approval_limits, name="limits"),
    path("audit/", views.audit_trail, name="audit"),
    path("staff/", views.staff_users, name="staff"),
    path("staff/<int:user_id>/", views.staff_user, name="staff_user"),
]

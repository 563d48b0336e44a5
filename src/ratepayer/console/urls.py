from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("accounts/<str:number>/adjust/", views.account_adjust, name="account_adjust"),
    path("approvals/", views.approvals_inbox, name="approvals"),
    path("approvals/<int:request_id>/decide/", views.approval_decide, name="approval_decide"),
    path("limits/", views.approval_limits, name="limits"),
    path("audit/", views.audit_trail, name="audit"),
    path("password/", views.password_change, name="password_change"),
    path("staff/", views.staff_users, name="staff"),
    path("staff/<int:user_id>/", views.staff_user, name="staff_user"),
]

"""Console pages of the payments app (mounted under /payments/ by ratepayer.urls)."""

from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.cashier, name="cashier"),
    path("drawer/open/", views.drawer_open, name="drawer_open"),
    path("take/", views.take, name="take"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("receipts/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("drawers/", views.drawers, name="drawers"),
    path("drawers/<int:pk>/close/", views.drawer_close, name="drawer_close"),
    path("deposits/new/", views.deposit_create, name="deposit_create"),
    path("deposits/<int:pk>/", views.deposit, name="deposit"),
    path("files/", views.files, name="files"),
    path("files/upload/<str:kind>/", views.file_upload, name="file_upload"),
    path("files/<int:pk>/", views.file_detail, name="file"),
    path("files/<int:pk>/download/", views.file_download, name="file_download"),
    path("suspense/", views.suspense, name="suspense"),
    path("returns/", views.returns, name="returns"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("autopay/", views.autopay, name="autopay"),
    path("refunds/", views.refunds, name="refunds"),
    path("refunds/unclaimed/", views.refunds_unclaimed, name="refunds_unclaimed"),
    path("refunds/<int:pk>/cleared/", views.refund_cleared, name="refund_cleared"),
    path("reports/", views.reports, name="reports"),
    path("security-deposits/", views.security_deposits, name="security_deposits"),
    path("security-deposits/account/<str:number>/", views.account_deposit, name="account_deposit"),
    path("represent/", views.represent, name="represent"),
    path("phone/", views.phone, name="phone"),
    path("unclaimed/", views.unclaimed, name="unclaimed"),
    path("unclaimed/report.csv", views.unclaimed_csv, name="unclaimed_csv"),
]

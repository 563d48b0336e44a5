"""Console pages of the billing app: ``urlpatterns`` under /billing/, and
``account_urlpatterns`` under an account's own address (/accounts/<number>/...);
ratepayer.urls mounts both in the one ``billing`` namespace."""

from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("runs/", views.runs, name="runs"),
    path("runs/start", views.start_run, name="start_run"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/progress", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/print-file", views.print_file, name="print_file"),
    path("runs/<int:run_id>/documents", views.render_documents, name="render_documents"),
    path("review/", views.review, name="review"),
    path("review/<int:bill_id>", views.review_decide, name="review_decide"),
    path("bills/", views.bills, name="bills"),
    path("bills/<int:bill_id>/", views.bill_detail, name="bill"),
    path("bills/<int:bill_id>/pdf", views.bill_pdf, name="bill_pdf"),
    path("bills/<int:bill_id>/cancel-rebill", views.cancel_rebill, name="cancel_rebill"),
    path("e-bills/", views.deliveries, name="deliveries"),
    path("policy/", views.policy, name="policy"),
]

account_urlpatterns = [
    path("accounts/<str:number>/adjust/", views.account_adjust, name="account_adjust"),
]

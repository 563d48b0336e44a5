"""Console pages of the collections app (mounted under /collections/ by ratepayer.urls)."""

from django.urls import path

from . import views_plans

app_name = "collections"
urlpatterns: list = [
    # payment arrangements and long-term contracts (views_plans)
    path("arrangements/", views_plans.arrangement_list, name="arrangements"),
    path("arrangements/<int:arrangement_id>/", views_plans.arrangement_detail, name="arrangement"),
    path("arrangements/<int:arrangement_id>/cancel", views_plans.arrangement_cancel, name="arrangement_cancel"),
    path("contracts/", views_plans.contract_list, name="contracts"),
    path("contracts/<int:contract_id>/", views_plans.contract_detail, name="contract"),
    path("contracts/<int:contract_id>/action", views_plans.contract_action, name="contract_action"),
    path("accounts/<str:number>/arrangements/new", views_plans.arrangement_new, name="arrangement_new"),
    path("accounts/<str:number>/contracts/new", views_plans.contract_new, name="contract_new"),
]

from .writeoff_urls import urlpatterns as _closed_accounts  # noqa: E402 (helper "writeoff")

urlpatterns += _closed_accounts

from .urls_core import urlpatterns as _core  # noqa: E402 (helper "core")

urlpatterns += _core

from .protection_urls import urlpatterns as _protections  # noqa: E402 (helper "protect")

urlpatterns += _protections

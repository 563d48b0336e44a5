"""Console pages of the collections app (mounted under /collections/ by ratepayer.urls),
one block per part of the app (views/<part>.py)."""

from django.urls import path

from .views import core, plans, protections, writeoffs

app_name = "collections"
urlpatterns = [
    # the worklist, the daily run, an account's collections tab, service orders, policy
    path("", core.worklist, name="worklist"),
    path("run", core.run_job, name="run_collections"),
    path("accounts/<str:number>/", core.account, name="account"),
    path("accounts/<str:number>/orders/<int:order_id>/reconnect", core.reconnect, name="order_reconnect"),
    path("orders/", core.board, name="board"),
    path("orders/<int:order_id>/complete", core.complete, name="complete_order"),
    path("policy/", core.policy, name="collection_policy"),
    # protections from disconnection
    path("protections/", protections.register, name="protections"),
    path("protections/heat-alerts/", protections.heat_alerts, name="heat_alerts"),
    path("accounts/<str:number>/protections/", protections.account_protections, name="protections_account"),
    # payment arrangements and long-term contracts
    path("arrangements/", plans.arrangement_list, name="arrangements"),
    path("arrangements/<int:arrangement_id>/", plans.arrangement_detail, name="arrangement"),
    path("arrangements/<int:arrangement_id>/cancel", plans.arrangement_cancel, name="arrangement_cancel"),
    path("contracts/", plans.contract_list, name="contracts"),
    path("contracts/<int:contract_id>/", plans.contract_detail, name="contract"),
    path("contracts/<int:contract_id>/action", plans.contract_action, name="contract_action"),
    path("accounts/<str:number>/arrangements/new", plans.arrangement_new, name="arrangement_new"),
    path("accounts/<str:number>/contracts/new", plans.contract_new, name="contract_new"),
    # closed accounts, agencies, write-offs and liens
    path("closed/", writeoffs.closed_accounts, name="closed_accounts"),
    path("closed/<str:number>/", writeoffs.closed_account, name="closed_account"),
    path("agencies/", writeoffs.agencies, name="agencies"),
    path("agencies/files/<int:pk>/", writeoffs.agency_file_download, name="agency_file"),
    path("write-offs/", writeoffs.write_offs, name="write_offs"),
    path("liens/", writeoffs.liens, name="liens"),
    path("liens/<int:pk>/release/", writeoffs.lien_release, name="lien_release"),
]

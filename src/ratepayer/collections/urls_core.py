"""URLs of the collections backbone (worklist, account tab, order board, policy)."""

from django.urls import path

from . import views_core as views

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("run", views.run_job, name="run_collections"),
    path("accounts/<str:number>/", views.account, name="account"),
    path("accounts/<str:number>/orders/<int:order_id>/reconnect", views.reconnect, name="order_reconnect"),
    path("orders/", views.board, name="board"),
    path("orders/<int:order_id>/complete", views.complete, name="complete_order"),
    path("policy/", views.policy, name="collection_policy"),
]

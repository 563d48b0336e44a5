"""URLs of the protections from disconnection (mounted under /collections/)."""

from django.urls import path

from . import protection_views as views

urlpatterns = [
    path("protections/", views.register, name="protections"),
    path("protections/heat-alerts/", views.heat_alerts, name="heat_alerts"),
    path("accounts/<str:number>/protections/", views.account_protections, name="protections_account"),
]

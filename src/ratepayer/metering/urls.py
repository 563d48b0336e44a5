"""Console pages of the metering app (mounted under /reads/ by ratepayer.urls)."""

from django.urls import path

from . import views

app_name = "metering"
urlpatterns = [
    path("", views.entry, name="entry"),
    path("meter/<str:serial>/", views.meter, name="meter"),
    path("meter/<str:serial>/change/", views.change_meter, name="change_meter"),
    path("import/", views.route_import, name="import"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/<int:pk>/decide/", views.decide, name="decide"),
]

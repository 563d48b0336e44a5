"""Console pages of the rates app (mounted under /rates/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "rates"
urlpatterns: list = []

"""Console pages of the billing app (mounted under /billing/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "billing"
urlpatterns: list = []

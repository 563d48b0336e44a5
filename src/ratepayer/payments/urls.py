"""Console pages of the payments app (mounted under /payments/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "payments"
urlpatterns: list = []

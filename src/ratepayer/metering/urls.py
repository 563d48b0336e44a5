"""Console pages of the metering app (mounted under /metering/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "metering"
urlpatterns: list = []

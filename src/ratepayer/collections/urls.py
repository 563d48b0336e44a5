"""Console pages of the collections app (mounted under /collections/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "collections"
urlpatterns: list = []

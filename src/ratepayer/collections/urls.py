"""Console pages of the collections app (mounted under /collections/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "collections"
urlpatterns: list = []

from .urls_core import urlpatterns as _core  # noqa: E402 (helper "core")

urlpatterns += _core

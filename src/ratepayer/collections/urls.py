"""Console pages of the collections app (mounted under /collections/ by ratepayer.urls)."""

from django.urls import path  # noqa: F401

app_name = "collections"
urlpatterns: list = []

from .writeoff_urls import urlpatterns as _closed_accounts  # noqa: E402 (helper "writeoff")

urlpatterns += _closed_accounts

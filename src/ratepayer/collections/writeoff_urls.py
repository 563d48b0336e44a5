"""Console pages of closed accounts, agencies, write-offs and liens (added to
``collections.urls``; URL names ``collections:*``)."""

from django.urls import path

from . import writeoff_views as views

urlpatterns = [
    path("closed/", views.closed_accounts, name="closed_accounts"),
    path("closed/<str:number>/", views.closed_account, name="closed_account"),
    path("agencies/", views.agencies, name="agencies"),
    path("agencies/files/<int:pk>/", views.agency_file_download, name="agency_file"),
    path("write-offs/", views.write_offs, name="write_offs"),
    path("liens/", views.liens, name="liens"),
    path("liens/<int:pk>/release/", views.lien_release, name="lien_release"),
]

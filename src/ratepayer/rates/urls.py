"""Console pages of the rates app (mounted under /rates/ by ratepayer.urls)."""

from django.urls import path

from . import views

app_name = "rates"
urlpatterns = [
    path("", views.schedules, name="schedules"),
    path("calculator/", views.calculator, name="calculator"),
    path("<str:code>/", views.schedule, name="schedule"),
    path("<str:code>/versions/new/", views.version_new, name="version_new"),
    path("<str:code>/versions/<int:version_id>/edit/", views.version_edit, name="version_edit"),
    path("<str:code>/versions/<int:version_id>/decide/", views.version_decide, name="version_decide"),
]

from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("password/", views.password_change, name="password_change"),
]

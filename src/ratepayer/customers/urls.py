from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("customers/new/", views.new_customer, name="new"),
    path("accounts/<str:number>/", views.account, name="account"),
    path("accounts/<str:number>/pii/", views.account_pii, name="account_pii"),
    path("accounts/<str:number>/notes/", views.account_note, name="account_note"),
    path("accounts/<str:number>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<str:number>/service/", views.account_service, name="account_service"),
    path("accounts/<str:number>/close/", views.account_close, name="account_close"),
    path("premises/new/", views.new_premise, name="new_premise"),
    path("premises/<int:premise_id>/", views.premise, name="premise"),
]

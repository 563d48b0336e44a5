from django.urls import path

from . import views

app_name = "outbox"
urlpatterns = [
    path("", views.messages_page, name="messages"),
    path("<int:message_id>/retry", views.retry_message, name="retry"),
]

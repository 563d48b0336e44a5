from django.urls import include, path

from ratepayer.api.urls import api
from ratepayer.console import views as console_views

urlpatterns = [
    path("login/", console_views.login, name="login"),
    path("logout/", console_views.logout, name="logout"),
    path("api/v1/", api.urls),
    path("billing/", include("ratepayer.billing.urls")),
    path("reads/", include("ratepayer.metering.urls")),
    path("payments/", include("ratepayer.payments.urls")),
    path("rates/", include("ratepayer.rates.urls")),
    path("outbox/", include("ratepayer.outbox.urls")),
    path("", include("ratepayer.customers.urls")),
    path("", include("ratepayer.console.urls")),
]

from django.urls import include, path

from ratepayer.api.urls import api
from ratepayer.billing import urls as billing_urls
from ratepayer.console import views as console_views

# billing's pages under /billing/ and its pages on an account (/accounts/<number>/adjust/), one namespace
billing_pages = ([path("billing/", include(billing_urls.urlpatterns)), *billing_urls.account_urlpatterns], "billing")

urlpatterns = [
    path("login/", console_views.login, name="login"),
    path("logout/", console_views.logout, name="logout"),
    path("api/v1/", api.urls),
    path("", include(billing_pages)),
    path("reads/", include("ratepayer.metering.urls")),
    path("payments/", include("ratepayer.payments.urls")),
    path("rates/", include("ratepayer.rates.urls")),
    path("outbox/", include("ratepayer.outbox.urls")),
    path("collections/", include("ratepayer.collections.urls")),
    path("", include("ratepayer.customers.urls")),
    path("", include("ratepayer.staff.urls")),
    path("", include("ratepayer.console.urls")),
]

"""Settings for subprocess tests: billing with the metering stand-in."""

from ratepayer.settings import *  # noqa: F403

BILLING_USAGE_MODULE = "tests.billing.fake_metering"

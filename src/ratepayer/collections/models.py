"""Collections data: policy records, notices, service orders, arrangements, contracts,
write-offs. Workflows live in actions.py."""

# policy, notices, service orders, late fees, referrals (helper "core")
from .models_core import (  # noqa: E402, F401
    AgencyReferral,
    CollectionPolicy,
    DisconnectDecisionRecord,
    LateFee,
    Notice,
    ServiceOrder,
    ServiceOrderEvent,
)

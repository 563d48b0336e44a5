"""Collections data: policy records, notices, service orders, arrangements, contracts,
write-offs. Workflows live in actions.py."""

from .models_plans import (  # noqa: F401
    ArrangementEvent,
    ArrangementInstallment,
    ContractEvent,
    ContractInstallment,
    LongTermContract,
    PaymentArrangement,
)

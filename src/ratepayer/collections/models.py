"""Collections data: policy records, notices, service orders, arrangements, contracts,
write-offs. Workflows live in actions.py."""

# final bills, agencies, write-offs and liens (helper "writeoff")
from .models_writeoffs import (  # noqa: E402, F401
    AgencyAssignment,
    AgencyFile,
    AgencyRemittance,
    BalanceTransfer,
    CollectionAgency,
    LienCertification,
    Recovery,
    WriteOff,
    WriteOffLine,
)

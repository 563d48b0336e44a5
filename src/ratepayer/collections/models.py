"""Collections data: policy records, notices, service orders, arrangements, contracts,
write-offs. Workflows live in actions.py."""

# policy, notices, service orders, late fees, referrals (helper "core")
# Protections from disconnection (heat alerts, medical certificates, disputes, winter protection,
# registered landlords): their own module, so each part of the app keeps its own file.
from ratepayer.collections.protection_models import (  # noqa: E402,F401
    Dispute,
    HeatAlert,
    HeatAlertImport,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)

from .models_core import (  # noqa: E402, F401
    AgencyReferral,
    CollectionPolicy,
    DisconnectDecisionRecord,
    LateFee,
    Notice,
    ServiceOrder,
    ServiceOrderEvent,
)
from .models_plans import (  # noqa: F401
    ArrangementEvent,
    ArrangementInstallment,
    ContractEvent,
    ContractInstallment,
    LongTermContract,
    PaymentArrangement,
)

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

"""Collections data, one module per part of the app: policy, notices, service orders,
late fees and referrals (core); protections from disconnection (protections); payment
arrangements and long-term contracts (plans); closed accounts, agencies, write-offs and
liens (writeoffs). Workflows live in actions/."""

# policy, notices, service orders, late fees, referrals (helper "core")
# Protections from disconnection (heat alerts, medical certificates, disputes, winter protection,
# registered landlords): their own module, so each part of the app keeps its own file.
from ratepayer.collections.models.protections import (  # noqa: E402,F401
    Dispute,
    HeatAlert,
    HeatAlertImport,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)

from .core import (  # noqa: E402, F401
    AgencyReferral,
    CollectionPolicy,
    DisconnectDecisionRecord,
    LateFee,
    Notice,
    ServiceOrder,
    ServiceOrderEvent,
)
from .plans import (  # noqa: F401
    ArrangementEvent,
    ArrangementInstallment,
    ContractEvent,
    ContractInstallment,
    LongTermContract,
    PaymentArrangement,
)

# final bills, agencies, write-offs and liens (helper "writeoff")
from .writeoffs import (  # noqa: E402, F401
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

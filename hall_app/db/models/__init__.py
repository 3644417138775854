"""All models, imported so that ``Base.metadata`` is complete."""

from sqlalchemy.orm import configure_mappers

from hall_app.db import blind, crypto
from hall_app.db.models.audit import AuditAlert, AuditEntry
from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.billing import (
    CashMovement,
    CashSession,
    HallDayClose,
    Invoice,
    InvoiceLine,
    InvoiceSegment,
    Payment,
    PrintRecord,
    ZReport,
)
from hall_app.db.models.bills import (
    Bill,
    BillItem,
    BillSettlement,
    OwnershipTransfer,
    PortAuthCode,
    TopUpOffer,
)
from hall_app.db.models.calendar import CalendarDay
from hall_app.db.models.catalog import HandsetOffer, Product, Promotion, VatCategory
from hall_app.db.models.coverage import CoverageArea
from hall_app.db.models.customers import Customer
from hall_app.db.models.fixed_line import (
    DemandRegistration,
    Equipment,
    FusionBundle,
    InstallerTeam,
    InstallSlot,
    LandlineNumber,
    TeamArea,
    WorkOrder,
)
from hall_app.db.models.inventory import Device, PhoneNumber, PrettyTier, SimCard
from hall_app.db.models.orders import (
    Approval,
    CreditAssessment,
    HandsetCommitment,
    InstallmentContract,
    Instalment,
    Order,
    OrderLine,
)
from hall_app.db.models.org import Counter, Hall, ServiceType, Staff, counter_service_types
from hall_app.db.models.queue import QueueTicket
from hall_app.db.models.service import ServiceTicket
from hall_app.db.models.subscriptions import BalanceMovement, Subscription, SubscriptionAddon
from hall_app.db.models.sync import ResourceClash, SyncOutbox, SyncState

# Personal data: sealed on every flush, opened on every load; the customers' blind indexes
# kept with it.
crypto.bind_rows(Base)
blind.bind_customers(Customer)

# The mappers' relationships are resolved now, with the imports (off the GUI thread while the
# app starts), not by the first query: in the app that is the clerk's login, after Enter.
configure_mappers()

__all__ = [
    "Approval",
    "AuditAlert",
    "AuditEntry",
    "BalanceMovement",
    "Base",
    "Bill",
    "BillItem",
    "BillSettlement",
    "CalendarDay",
    "CashMovement",
    "CashSession",
    "Counter",
    "CoverageArea",
    "CreditAssessment",
    "Customer",
    "DemandRegistration",
    "Device",
    "Equipment",
    "FusionBundle",
    "Hall",
    "HallDayClose",
    "HandsetCommitment",
    "HandsetOffer",
    "InstallSlot",
    "InstallerTeam",
    "InstallmentContract",
    "Instalment",
    "Invoice",
    "InvoiceLine",
    "InvoiceSegment",
    "LandlineNumber",
    "Order",
    "OrderLine",
    "OwnershipTransfer",
    "Payment",
    "PhoneNumber",
    "PortAuthCode",
    "PrettyTier",
    "PrintRecord",
    "Product",
    "Promotion",
    "QueueTicket",
    "ResourceClash",
    "ServiceTicket",
    "ServiceType",
    "SimCard",
    "Staff",
    "Subscription",
    "SubscriptionAddon",
    "SyncOutbox",
    "SyncState",
    "SyncedMixin",
    "TeamArea",
    "TopUpOffer",
    "VatCategory",
    "WorkOrder",
    "ZReport",
    "counter_service_types",
]

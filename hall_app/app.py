"""The composition root: builds the engine, migrates, and wires the services together."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from hall_app.clock import Clock, system_clock
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.central import CentralLink
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.crypto import DataKeyError
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Base
from hall_app.demo.reader import DemoIdCardReader
from hall_app.demo.scanner import DemoSimScanner
from hall_app.devices.id_reader import IdCardReader
from hall_app.devices.scanner import SimScanner
from hall_app.domain.errors import StorageError
from hall_app.keyfile import keys_at_start
from hall_app.services.account_changes import AccountChangeService
from hall_app.services.approvals import ApprovalService
from hall_app.services.audit_chain import AuditChainService
from hall_app.services.auth import AuthService
from hall_app.services.backup import BackupService
from hall_app.services.billing_run import BillingRunService
from hall_app.services.bills import BillService
from hall_app.services.calendar import CalendarService
from hall_app.services.cancellation import CancellationService
from hall_app.services.cash import CashService
from hall_app.services.catalog import CatalogService
from hall_app.services.coverage import CoverageService
from hall_app.services.customers import CustomerService
from hall_app.services.documents import DocumentService
from hall_app.services.evaluation import EvaluationService
from hall_app.services.fixed_line import FixedLineService
from hall_app.services.handset_returns import HandsetReturnService
from hall_app.services.handsets import HandsetService
from hall_app.services.installs import SlotService
from hall_app.services.instalments import InstallmentService
from hall_app.services.invoicing import InvoiceService
from hall_app.services.numbers import NumberService
from hall_app.services.orders import OrderService
from hall_app.services.performance import PerformanceService
from hall_app.services.plan_change import PlanChangeService
from hall_app.services.porting import PortingService
from hall_app.services.queue import QueueService
from hall_app.services.reports import QueueReportService
from hall_app.services.sensitive_views import SensitiveViewService
from hall_app.services.sim_swap import SimSwapService
from hall_app.services.staff import StaffService
from hall_app.services.stock import HandsetStockService
from hall_app.services.top_up import TopUpService
from hall_app.services.transfer import TransferService
from hall_app.services.workorders import WorkOrderService
from hall_app.sync.service import SyncService


@dataclass(frozen=True)
class HallApp:
    settings: Settings
    db: Database
    clock: Clock
    auth: AuthService
    catalog: CatalogService
    coverage: CoverageService
    calendar: CalendarService
    customers: CustomerService
    queue: QueueService
    numbers: NumberService
    orders: OrderService
    documents: DocumentService
    invoices: InvoiceService
    cash: CashService
    sync: SyncService
    link: CentralLink  # the live link for tickets, numbers and SIMs (when configured)
    id_reader: IdCardReader | None  # None: no reader at this counter
    slots: SlotService
    fixed_line: FixedLineService
    work_orders: WorkOrderService
    handsets: HandsetService
    instalments: InstallmentService
    stock: HandsetStockService  # 终端入库 and the handsets' stock counts
    handset_returns: HandsetReturnService
    reports: QueueReportService  # the supervisor's queue review (排队日报)
    evaluations: EvaluationService  # the customer's press at the end of a visit (服务评价)
    performance: PerformanceService  # staff figures and the monthly appraisal (员工考核)
    staff: StaffService  # accounts: unlock, reset, create, roles (centrally when synced)
    approvals: ApprovalService  # 审批: requests wait for a duty supervisor (centrally when synced)
    plan_changes: PlanChangeService  # 套餐变更 and 增值业务
    porting: PortingService  # 携号转网资格查询 and 授权码
    top_up: TopUpService  # 充值: a top-up to any of our numbers (receipt only)
    account_changes: AccountChangeService  # 资料变更, 挂失/解挂, 停机保号/复机
    transfers: TransferService  # 过户: a number moves to another customer
    sim_swaps: SimSwapService  # 补卡/换卡
    cancellations: CancellationService  # 销户
    bills: BillService  # 缴费: unpaid bills, their history, paying them
    billing: BillingRunService  # 出账 and 欠费停机 (the central database's monthly run)
    sensitive_views: SensitiveViewService  # 敏感信息查看记录: who saw full ID and phone numbers
    audit_chain: AuditChainService  # the audit chain's check at start and its alerts
    sim_scanner: SimScanner | None = None  # one the app drives (the demo's); None: a keyboard
    backups: BackupService | None = None  # the counter's own SQLite file; None: a server database

    def close(self) -> None:
        if self.backups is not None:
            self.backups.close()
        self.link.close()
        self.sync.close()
        self.db.dispose()

    @property
    def is_local(self) -> bool:
        return self.db.engine.url.get_backend_name() == "sqlite"

    def storage_label(self) -> str:
        """Where the data is, for the status bar (no password)."""
        url = self.db.engine.url
        if self.is_local and self.settings.central_url:
            central = make_url(self.settings.central_url)
            return (
                f"本地数据库 {url.database} · 同步至中心 {central.host or ''}/{central.database}"
                f" · 窗口 {self.settings.counter_code}"
            )
        if self.is_local:
            return f"单机模式 · 本地数据库 {url.database}"
        return f"数据库 {url.render_as_string(hide_password=True)}"


def _install_keys(settings: Settings, engine: Engine) -> None:
    """The data keys from the key file, before the schema is upgraded (a migration seals)."""
    synced = settings.central_url is not None
    keys_at_start(settings.key_file, engine, Base.metadata, synced=synced)


def build_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    migrate: bool = True,
    hasher: PasswordHasher | None = None,
) -> HallApp:
    """Everything the app needs, from its settings. Upgrades the schema first unless told not to."""
    if settings.central_url and not settings.counter_code:
        # Leases, the counter's own ticket series and who released what all hang on it.
        raise StorageError(
            "设置了中心数据库（HALL_CENTRAL_URL）的电脑必须用 HALL_COUNTER 指明本机是哪个窗口"
            "（例如 HALL_COUNTER=01）",
            "设置",
        )
    shown_url = make_url(settings.db_url).render_as_string(hide_password=True)
    try:
        engine = make_engine(settings.db_url)
    except (OSError, SQLAlchemyError) as exc:
        raise StorageError(
            f"无法打开或升级数据库（{shown_url}）：{type(exc).__name__}。"
            "请检查 HALL_DB_URL 和数据所在的文件夹",
            "数据库",
        ) from exc
    try:
        if crypto.installed() is None:  # tests and embedders install their own first
            _install_keys(settings, engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StorageError(
            f"无法打开数据库（{shown_url}）：{type(exc).__name__}。"
            "请检查 HALL_DB_URL 和数据所在的文件夹",
            "数据库",
        ) from exc
    except DataKeyError:
        engine.dispose()
        raise
    if migrate:
        try:
            upgrade_to_head(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StorageError(
                f"无法打开或升级数据库（{shown_url}）：{type(exc).__name__}。"
                "请检查 HALL_DB_URL 和数据库服务",
                "数据库",
            ) from exc
    db = Database(engine)
    local = engine.dialect.name == "sqlite"
    on_file = local and engine.url.database not in (None, "", ":memory:")
    backups = (
        BackupService(
            db,
            clock,
            folder=settings.backup_dir,
            keep=settings.backup_keep,
            counter_code=settings.counter_code,
        )
        if on_file
        else None
    )
    link = CentralLink(settings.central_url if local else None)
    numbers = NumberService(db, settings.rules, clock, link)
    calendar = CalendarService(db, settings.rules)
    coverage = CoverageService(db)
    sync = SyncService(
        db, settings.central_url, clock, settings.counter_code, link, on_pulled=calendar.forget
    )
    # A synced counter numbers invoices only from the blocks the central database leased it.
    shared = not sync.configured
    handsets = HandsetService(db, settings.rules, clock, shared_segments=shared, link=link)
    # No vendor SDK is bundled: the demo reader only where the settings ask for it.
    id_reader = DemoIdCardReader(db, clock) if settings.id_reader == "demo" else None
    return HallApp(
        settings=settings,
        db=db,
        clock=clock,
        auth=AuthService(db, settings.rules, clock, hasher, settings.counter_code),
        catalog=CatalogService(db, clock),
        coverage=coverage,
        calendar=calendar,
        customers=CustomerService(db, settings.rules, clock),
        queue=QueueService(db, settings.rules, clock, link),
        numbers=numbers,
        orders=OrderService(
            db, settings.rules, clock, numbers, shared_segments=not sync.configured, link=link
        ),
        documents=DocumentService(db, clock, settings.rules),
        invoices=InvoiceService(db, clock, shared_segments=shared),
        # Day close waits for the central database to have everything (when there is one).
        cash=CashService(
            db,
            clock,
            unsynced=lambda: sync.waiting() if sync.configured else 0,
            rules=settings.rules,
            link=link,
            on_day_closed=backups.after_day_close if backups is not None else None,
        ),
        sync=sync,
        link=link,
        id_reader=id_reader,
        sim_scanner=DemoSimScanner(db) if settings.demo else None,
        slots=SlotService(
            db,
            clock,
            settings.rules,
            calendar,
            central=LinkedCentral(link) if link.configured else None,
        ),
        fixed_line=FixedLineService(
            db,
            settings.rules,
            clock,
            calendar,
            coverage,
            shared_segments=shared,
            link=link,
        ),
        work_orders=WorkOrderService(
            db,
            clock,
            settings.rules,
            calendar,
            central=LinkedCentral(link) if link.configured else None,
        ),
        handsets=handsets,
        instalments=InstallmentService(db, settings.rules, clock, shared_segments=shared),
        stock=HandsetStockService(db, clock),
        handset_returns=HandsetReturnService(db, settings.rules, clock, shared_segments=shared),
        reports=QueueReportService(db, clock, settings.rules),
        evaluations=EvaluationService(db, clock, settings.rules, link),
        performance=PerformanceService(db, clock, settings.rules, link),
        staff=StaffService(db, clock, settings.rules, hasher, link=link),
        approvals=ApprovalService(db, clock, settings.rules, link),
        plan_changes=PlanChangeService(db, settings.rules, clock, handsets, shared_segments=shared),
        porting=PortingService(db, settings.rules, clock, shared_segments=shared),
        top_up=TopUpService(db, settings.rules, clock, shared_segments=shared, link=link),
        account_changes=AccountChangeService(
            db, settings.rules, clock, id_reader, shared_segments=shared
        ),
        transfers=TransferService(db, settings.rules, clock, numbers, shared_segments=shared),
        sim_swaps=SimSwapService(
            db,
            settings.rules,
            clock,
            LinkedCentral(link) if link.configured else None,
            shared_segments=shared,
        ),
        cancellations=CancellationService(
            db, settings.rules, clock, handsets, shared_segments=shared
        ),
        bills=BillService(db, settings.rules, clock, shared_segments=shared, link=link),
        billing=BillingRunService(db, settings.rules, clock),
        sensitive_views=SensitiveViewService(db, clock),
        audit_chain=AuditChainService(db, clock, settings.audit_verify_last, link),
        backups=backups,
    )

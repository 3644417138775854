"""Text that the counter's database accepts must also fit the central PostgreSQL.

SQLite ignores ``VARCHAR(n)``; PostgreSQL refuses a longer value at the push, where no retry can
fix it. So every text column's limit is taken from the models (``String(n)``), once, and every
row the ORM writes is checked before it is flushed: too long, a lone surrogate (which sqlite3
and psycopg cannot encode) or a NUL character (which PostgreSQL text refuses) is a
``ValidationError`` naming the field in Chinese.
Services that validate a request up front call ``check_text`` with the same column, so the
clerk hears about it before any other work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import Column, Enum, String, event, inspect
from sqlalchemy.orm import InstrumentedAttribute, Mapper, Session, sessionmaker

from hall_app.db.crypto import EncryptedText
from hall_app.db.models import Base
from hall_app.domain.errors import ValidationError

# The Chinese label of every text column, as a clerk or an administrator would name it.
LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "bills.period": "账期",
        "bill_items.description": "账单项目",
        "top_up_offers.code": "充值优惠编号",
        "top_up_offers.name": "充值优惠名称",
        "port_auth_codes.code": "携号转网授权码",
        "products.upgrade_effect": "升档生效方式",
        "halls.code": "营业厅编号",
        "halls.name": "营业厅名称",
        "halls.region_code": "行政区划代码",
        "halls.province_code": "省份代码",
        "halls.address": "营业厅地址",
        "halls.seller_name": "销售方名称",
        "halls.seller_tax_id": "销售方纳税人识别号",
        "pretty_tiers.code": "靓号等级编号",
        "pretty_tiers.name": "靓号等级名称",
        "pretty_tiers.patterns": "靓号规则",
        "service_types.code": "业务类型编号",
        "service_types.letter": "排队号字母",
        "service_types.name": "业务类型名称",
        "sync_outbox.table_name": "同步表名",
        "sync_outbox.status": "同步状态",
        "sync_outbox.last_error": "同步错误",
        "sync_state.key": "同步状态项",
        "sync_state.value": "同步状态值",
        "vat_categories.code": "税目编号",
        "vat_categories.category": "税收分类",
        "vat_categories.item_name": "税目名称",
        "counters.code": "窗口编号",
        "counters.name": "窗口名称",
        "calendar_days.holiday_name": "节假日名称",
        "calendar_days.kind": "日期类型",
        "calendar_days.source": "日历来源",
        "coverage_areas.region_code": "行政区划代码",
        "coverage_areas.community": "小区",
        "coverage_areas.technology": "接入方式",
        "customers.name": "姓名",
        "customers.id_number_bidx": "证件号码索引",
        "customers.contact_phone_bidx": "联系电话索引",
        "customers.alt_phone_bidx": "备用电话索引",
        **{f"customers.name_p{k}": f"姓名前 {k} 字索引" for k in range(1, 5)},
        **{f"customers.initials_p{k}": f"拼音首字母前 {k} 位索引" for k in range(1, 5)},
        "customers.id_number": "证件号码",
        "customers.gender": "性别",
        "customers.address": "地址",
        "customers.contact_phone": "联系电话",
        "customers.alt_phone": "备用电话",
        "customers.face_check_by": "人像比对",
        "customers.uscc": "统一社会信用代码",
        "customers.contact_person": "联系人",
        "customers.notes": "备注",
        "products.code": "产品编号",
        "products.name": "产品名称",
        "products.description": "产品说明",
        "products.brand": "品牌",
        "products.model": "型号",
        "devices.imei": "IMEI",
        "devices.location": "存放位置",
        "products.colour": "颜色",
        "products.storage": "存储容量",
        "handset_offers.code": "终端优惠编号",
        "handset_offers.name": "终端优惠名称",
        "credit_assessments.rules_json": "信用评估规则",
        "invoice_segments.year2": "发票年份",
        "invoice_segments.province_code": "发票省份代码",
        "invoice_segments.channel": "开票渠道",
        "number_pool.number": "号码",
        "promotions.code": "优惠编号",
        "promotions.name": "优惠名称",
        "promotions.description": "优惠说明",
        "sim_cards.iccid": "ICCID",
        "sim_cards.imsi": "IMSI",
        "staff.username": "用户名",
        "staff.full_name": "员工姓名",
        "staff.employee_no": "工号",
        "staff.password_hash": "密码",
        "audit_log.actor_name": "操作人",
        "audit_log.action": "操作",
        "audit_log.entity": "操作对象",
        "audit_log.entity_id": "操作对象编号",
        "audit_log.prev_hash": "前一条审计哈希",
        "audit_log.entry_hash": "审计哈希",
        "audit_alerts.kind": "审计警告类型",
        "audit_alerts.detail": "审计警告详情",
        "queue_tickets.ticket_no": "排队号",
        "subscriptions.service_number": "业务号码",
        "subscriptions.address": "装机地址",
        "orders.order_no": "订单号",
        "orders.terms_text": "协议条款",
        "orders.proxy_name": "代办人姓名",
        "orders.proxy_id_number": "代办人证件号码",
        "orders.notes": "订单备注",
        "orders.details_json": "单据明细",
        "service_tickets.ticket_no": "工单号",
        "service_tickets.category": "工单类别",
        "service_tickets.description": "问题描述",
        "service_tickets.resolution": "处理结果",
        "approvals.kind": "审批类型",
        "approvals.reason": "审批理由",
        "approvals.request_reason": "申请原因",
        "approvals.summary": "审批事项",
        "approvals.customer_label": "客户",
        "approvals.subject_ref": "审批对象",
        "queue_tickets.rating_note": "不满意原因",
        "cash_sessions.counts_json": "点钞明细",
        "cash_sessions.difference_reason": "差异原因",
        "cash_movements.reason": "存取原因",
        "z_reports.content_json": "日结单内容",
        "hall_day_closes.summary_json": "营业厅日结内容",
        "landline_numbers.number": "固话号码",
        "landline_numbers.area_code": "区号",
        "equipment.serial": "设备序列号",
        "installer_teams.code": "装维班组编号",
        "installer_teams.name": "装维班组名称",
        "installer_teams.leader": "班组长",
        "installer_teams.phone": "班组电话",
        "team_areas.community": "服务小区",
        "install_slots.community": "小区",
        "install_slots.window": "预约时段",
        "work_orders.work_order_no": "工单号",
        "work_orders.address": "装机地址",
        "work_orders.from_address": "原址",
        "work_orders.community": "小区",
        "work_orders.technology": "接入方式",
        "work_orders.contact_name": "联系人",
        "work_orders.contact_phone": "联系电话",
        "work_orders.status_reason": "原因说明",
        "fusion_bundles.code": "融合套餐编号",
        "fusion_bundles.name": "融合套餐名称",
        "demand_registrations.address": "登记地址",
        "demand_registrations.contact_name": "联系人",
        "demand_registrations.contact_phone": "联系电话",
        "demand_registrations.wanted": "需求业务",
        "demand_registrations.note": "备注",
        "subscriptions.community": "小区",
        "subscriptions.technology": "接入方式",
        "installment_contracts.credit_reasons": "信用评估理由",
        "installment_contracts.status": "分期状态",
        "invoices.invoice_no": "发票号码",
        "invoices.buyer_name": "购买方名称",
        "invoices.buyer_tax_id": "购买方纳税人识别号",
        "invoices.seller_name": "销售方名称",
        "invoices.seller_tax_id": "销售方纳税人识别号",
        "invoices.remarks": "发票备注",
        "order_lines.description": "费用项目",
        "payments.reference": "交易参考号",
        "print_records.document_type": "单据类型",
        "print_records.document_ref": "单据编号",
        "print_records.reason": "补打原因",
        "resource_clashes.resource": "冲突资源",
        "resource_clashes.resource_key": "冲突资源编号",
        "resource_clashes.detail": "冲突详情",
        "resource_clashes.resolution": "冲突处理",
        "invoice_lines.item_name": "货物或应税劳务名称",
    }
)


def is_text(column: Any) -> bool:
    """A free-text column: ``String(n)`` (not an enumeration) or a sealed ``EncryptedText``."""
    return isinstance(column, Column) and (
        isinstance(column.type, EncryptedText)
        or (isinstance(column.type, String) and not isinstance(column.type, Enum))
    )


def text_limit(column: Column[Any]) -> int | None:
    """The longest text a column takes: ``String(n)``'s n, or the plaintext length of an
    ``EncryptedText`` (its stored form is longer)."""
    if isinstance(column.type, EncryptedText):
        return column.type.plain_length
    assert isinstance(column.type, String)
    return column.type.length


def text_columns(metadata: Any = Base.metadata) -> Iterable[Column[Any]]:
    """Every free-text column of the schema (enumerations are checked by their own type)."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if is_text(column):
                yield column


def label_of(column: Column[Any]) -> str:
    return LABELS.get(f"{column.table.name}.{column.name}", column.name)


def check_value(label: str, limit: int | None, value: str) -> None:
    """``value`` fits a text column of ``limit`` characters (None: no limit) and can be
    stored (no lone surrogate, which sqlite3 and psycopg cannot encode; no NUL character, which
    a PostgreSQL text column refuses, so the push of the row would fail for good)."""
    if limit is not None and len(value) > limit:
        raise ValidationError(f"最多 {limit} 个字，现在 {len(value)} 个字", label)
    if "\x00" in value:
        raise ValidationError("含有无法保存的空字符（U+0000），请删除后重新输入", label)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise ValidationError(
            f"含有无法保存的字符（U+{ord(bad):04X}），请删除后重新输入", label
        ) from None


def check_text(attribute: InstrumentedAttribute[Any], value: str | None) -> None:
    """Check a value meant for a model's text column (``Customer.address``) before any work."""
    if value is None:
        return
    column = attribute.property.columns[0]
    assert is_text(column)
    check_value(label_of(column), text_limit(column), value)


def max_length(attribute: InstrumentedAttribute[Any]) -> int | None:
    """The column's length (``String(n)``) for a screen's field to cap typing and pasting."""
    column = attribute.property.columns[0]
    assert is_text(column)
    return text_limit(column)


_LIMITS: dict[type, tuple[tuple[str, str, int | None], ...]] = {}


def _limits(cls: type) -> tuple[tuple[str, str, int | None], ...]:
    """(attribute key, label, length) for each text column of a mapped class, worked out once."""
    known = _LIMITS.get(cls)
    if known is None:
        mapper: Mapper[Any] = inspect(cls)
        found: list[tuple[str, str, int | None]] = []
        for attr in mapper.column_attrs:
            for column in attr.columns:
                if isinstance(column, Column) and is_text(column):
                    found.append((attr.key, label_of(column), text_limit(column)))
        known = _LIMITS[cls] = tuple(found)
    return known


def check_row(obj: object) -> None:
    """Every text attribute of a mapped object fits its column."""
    state = inspect(obj)
    for key, label, length in _limits(type(obj)):
        value = state.dict.get(key)
        if isinstance(value, str):
            check_value(label, length, value)


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.new, *session.dirty):
        check_row(obj)


def install(sessions: sessionmaker[Session]) -> None:
    """Check every new or changed row of the sessions ``sessions`` makes before it is flushed."""
    event.listen(sessions, "before_flush", _before_flush)

"""Closed vocabularies of the hall, each member with its Chinese label for screens and documents."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A string enum whose members are declared as ``NAME = ("value", "中文标签")``."""

    _label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label or value
        return member

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def from_label(cls, label: str) -> Self:
        for member in cls:
            if member.label == label:
                return member
        raise ValueError(label)


class Role(LabelledEnum):
    CLERK = ("clerk", "营业员")
    SUPERVISOR = ("supervisor", "值班主管")
    ADMIN = ("admin", "系统管理员")


class TicketStatus(LabelledEnum):
    WAITING = ("waiting", "等候中")
    CALLED = ("called", "已叫号")
    SERVING = ("serving", "办理中")
    DONE = ("done", "已完成")
    NO_SHOW = ("no_show", "过号")
    TRANSFERRED = ("transferred", "已转移")


class CustomerKind(LabelledEnum):
    INDIVIDUAL = ("individual", "个人客户")
    ENTERPRISE = ("enterprise", "政企客户")


class IdDocType(LabelledEnum):
    RESIDENT_ID = ("resident_id", "居民身份证")
    TEMP_RESIDENT_ID = ("temp_resident_id", "临时居民身份证")
    HOUSEHOLD_REGISTER = ("household_register", "户口簿")
    MILITARY_ID = ("military_id", "军人/武警证件")
    HK_MACAU_PERMIT = ("hk_macau_permit", "港澳居民来往内地通行证")
    TAIWAN_PERMIT = ("taiwan_permit", "台湾居民来往大陆通行证")
    PASSPORT = ("passport", "外国护照")


class ProductKind(LabelledEnum):
    MOBILE_PLAN = ("mobile_plan", "移动套餐")
    BROADBAND_PLAN = ("broadband_plan", "宽带套餐")
    LANDLINE_PLAN = ("landline_plan", "固话套餐")
    VALUE_ADDED = ("value_added", "增值业务")
    HANDSET = ("handset", "终端")
    ACCESSORY = ("accessory", "配件")
    EQUIPMENT = ("equipment", "宽带终端设备")  # optical modems (光猫) and Wi-Fi routers


class NumberStatus(LabelledEnum):
    AVAILABLE = ("available", "可选")
    RESERVED = ("reserved", "预占")
    ASSIGNED = ("assigned", "已使用")
    QUARANTINED = ("quarantined", "冷冻期")


class SimStatus(LabelledEnum):
    IN_STOCK = ("in_stock", "库存")
    RESERVED = ("reserved", "预占")
    ASSIGNED = ("assigned", "已使用")
    DEFECTIVE = ("defective", "坏卡")
    DEACTIVATED = ("deactivated", "已作废")  # replaced by 补卡/换卡: never used again


class DeviceStatus(LabelledEnum):
    IN_STOCK = ("in_stock", "库存")
    RESERVED = ("reserved", "预占")
    SOLD = ("sold", "已售")
    RETURNED = ("returned", "退货入库")  # back in stock after a return; sold again as such
    FAULTY = ("faulty", "故障")


class SaleMode(LabelledEnum):
    """How a handset is sold."""

    OUTRIGHT = ("outright", "裸机购买")
    CONTRACT = ("contract", "合约购机")
    INSTALLMENT = ("installment", "分期购机")


class OfferKind(LabelledEnum):
    CONTRACT = ("contract", "合约")
    INSTALLMENT = ("installment", "分期")


class CreditOutcome(LabelledEnum):
    APPROVED = ("approved", "通过")
    REFUSED = ("refused", "拒绝")
    SUPERVISOR = ("supervisor", "须主管审批")


class ContractStatus(LabelledEnum):
    """A handset commitment (合约) or an installment contract (分期合同)."""

    ACTIVE = ("active", "履约中")
    COMPLETED = ("completed", "已履约")  # all paid, or the commitment served
    PAID_OFF = ("paid_off", "提前结清")
    TERMINATED = ("terminated", "已解约")
    RETURNED = ("returned", "已退货")


class SubscriptionKind(LabelledEnum):
    MOBILE = ("mobile", "移动电话")
    BROADBAND = ("broadband", "宽带")
    LANDLINE = ("landline", "固定电话")


class SubscriptionStatus(LabelledEnum):
    PENDING = ("pending", "待开通")
    ACTIVE = ("active", "正常")
    SUSPENDED = ("suspended", "停机")
    CANCELLED = ("cancelled", "已拆机")


class SuspendReason(LabelledEnum):
    """Why a subscription is ``suspended``."""

    VOLUNTARY = ("voluntary", "停机保号")  # asked for; a monthly keep-number fee
    ARREARS = ("arrears", "欠费停机")  # a bill unpaid past the grace days; resumed when paid
    LOST = ("lost", "挂失停机")  # the SIM reported lost; reinstated (解挂) with the owner's ID


class BillStatus(LabelledEnum):
    UNPAID = ("unpaid", "未缴")
    PARTLY_PAID = ("partly_paid", "部分缴纳")
    PAID = ("paid", "已缴清")
    WRITTEN_OFF = ("written_off", "已核销")


class BillItemKind(LabelledEnum):
    PLAN = ("plan", "套餐月费")
    ADDON = ("addon", "增值业务")
    USAGE = ("usage", "套餐外费用")
    KEEP_NUMBER = ("keep_number", "停机保号费")
    INSTALMENT = ("instalment", "分期应还")  # principal (receipt only) and fee of one instalment
    DISCOUNT = ("discount", "优惠")  # negative


class OrderType(LabelledEnum):
    OPEN_MOBILE = ("open_mobile", "新装移动电话")
    BROADBAND_INSTALL = ("broadband_install", "新装宽带")
    LANDLINE_INSTALL = ("landline_install", "新装固话")
    ADD_VALUE_ADDED = ("add_value_added", "订购增值业务")
    CHANGE_CUSTOMER = ("change_customer", "客户资料变更")
    TRANSFER_OWNERSHIP = ("transfer_ownership", "过户")
    RELOCATE = ("relocate", "移机")
    TOP_UP = ("top_up", "预存话费")
    BILL_PAYMENT = ("bill_payment", "缴纳话费")
    HANDSET_SALE = ("handset_sale", "终端销售")
    HANDSET_RETURN = ("handset_return", "终端退货")
    INSTALMENT_PAYMENT = ("instalment_payment", "分期还款")
    PLAN_CHANGE = ("plan_change", "套餐变更")
    REMOVE_VALUE_ADDED = ("remove_value_added", "退订增值业务")
    LOSS_REPORT = ("loss_report", "挂失")
    REINSTATE = ("reinstate", "解挂")
    SIM_REPLACEMENT = ("sim_replacement", "补换卡")
    SUSPEND = ("suspend", "停机保号")
    RESUME = ("resume", "复机")
    CANCEL = ("cancel", "销户")
    PORT_AUTH = ("port_auth", "携号转网授权")


class OrderState(LabelledEnum):
    DRAFT = ("draft", "草稿")
    SUBMITTED = ("submitted", "已提交")
    PENDING_APPROVAL = ("pending_approval", "待审批")
    APPROVED = ("approved", "已审批")
    REJECTED = ("rejected", "已驳回")
    EXPIRED = ("expired", "已过期")
    WITHDRAWN = ("withdrawn", "已撤回")
    COMPLETED = ("completed", "已完成")
    CANCELLED = ("cancelled", "已撤销")


class PaymentMethod(LabelledEnum):
    CASH = ("cash", "现金")
    BANK_CARD = ("bank_card", "银行卡")
    QR_WALLET = ("qr_wallet", "扫码支付")
    PREPAID_CARD = ("prepaid_card", "充值卡")


class InvoiceKind(LabelledEnum):
    BLUE = ("blue", "蓝字发票")
    RED = ("red", "红字发票")


class InvoiceStatus(LabelledEnum):
    ISSUED = ("issued", "已开具")
    RED_LETTERED = ("red_lettered", "已红冲")


class ApprovalState(LabelledEnum):
    PENDING = ("pending", "待审批")
    APPROVED = ("approved", "已批准")
    REJECTED = ("rejected", "已驳回")
    EXPIRED = ("expired", "已过期")
    WITHDRAWN = ("withdrawn", "已撤回")


class Rating(LabelledEnum):
    """The customer's evaluation of a visit (服务评价), pressed on the customer screen."""

    VERY_SATISFIED = ("very_satisfied", "非常满意")
    SATISFIED = ("satisfied", "满意")
    NEUTRAL = ("neutral", "一般")
    DISSATISFIED = ("dissatisfied", "不满意")
    NO_ANSWER = ("no_answer", "未评价")


class CashMovementKind(LabelledEnum):
    IN = ("in", "现金存入")
    OUT = ("out", "现金支出")


class CashSessionStatus(LabelledEnum):
    OPEN = ("open", "营业中")
    CLOSED = ("closed", "已日结")


class EquipmentStatus(LabelledEnum):
    IN_STOCK = ("in_stock", "库存")
    LENT = ("lent", "已出借")
    SOLD = ("sold", "已售出")
    RETURNED = ("returned", "已退回")
    DEFECTIVE = ("defective", "故障")


class EquipmentMode(LabelledEnum):
    """How a modem or router goes to the customer."""

    DEPOSIT = ("deposit", "押金借用")  # lent against a refundable deposit
    FREE = ("free", "合约免费借用")  # lent free under the plan's contract
    BOUGHT = ("bought", "购买")  # sold outright: a goods line at 13 %


class WorkOrderKind(LabelledEnum):
    INSTALL = ("install", "新装")
    RELOCATE = ("relocate", "移机")


class WorkOrderStatus(LabelledEnum):
    """scheduled → dispatched → installed; or failed (with a reason); or rescheduled (a new
    slot booked; the work order goes on as scheduled again, and the event is audited)."""

    SCHEDULED = ("scheduled", "已预约")
    DISPATCHED = ("dispatched", "已派单")
    INSTALLED = ("installed", "已装机")
    FAILED = ("failed", "装机失败")
    CANCELLED = ("cancelled", "已取消")


class DemandStatus(LabelledEnum):
    """A 预约登记: an uncovered address's demand, listed for the supervisor."""

    OPEN = ("open", "待覆盖")
    NOTIFIED = ("notified", "已通知")
    CLOSED = ("closed", "已关闭")


class ServiceTicketKind(LabelledEnum):
    FAULT = ("fault", "故障申告")
    COMPLAINT = ("complaint", "投诉")


class ServiceTicketStatus(LabelledEnum):
    OPEN = ("open", "待处理")
    IN_PROGRESS = ("in_progress", "处理中")
    RESOLVED = ("resolved", "已解决")
    CLOSED = ("closed", "已关闭")


class AreaType(LabelledEnum):
    TOWN = ("town", "城镇")
    RURAL = ("rural", "农村")


class FaceCheckMethod(LabelledEnum):
    DEVICE = ("device", "人像比对设备")
    MANUAL = ("manual", "人工核验")


class BalanceMovementKind(LabelledEnum):
    """Why a number's balance changed (``balance_movements``): each is a delta the central
    database adds to its balance of record, so changes made at several windows all count."""

    OPENING = ("opening", "开户预存")
    TOP_UP = ("top_up", "充值")
    BILL_TOP_UP = ("bill_top_up", "缴费余额转预存")
    CANCELLATION = ("cancellation", "销户退款清零")
    WORK_ORDER_CREDIT = ("work_order_credit", "装机超时补偿")

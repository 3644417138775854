"""What each role may do. Services check these; screens only hide what would be refused."""

from __future__ import annotations

from enum import StrEnum

from hall_app.domain.enums import Role


class Permission(StrEnum):
    CUSTOMER_SEARCH = "customer.search"
    CUSTOMER_VIEW = "customer.view"
    VIEW_SENSITIVE = "customer.view_sensitive"  # unmasked ID and phone numbers
    CUSTOMER_EDIT = "customer.edit"
    ORDER_CREATE = "order.create"
    PAYMENT_TAKE = "payment.take"
    QUEUE_WORK = "queue.work"
    APPROVE = "approval.decide"
    CASH_RECONCILE = "cash.reconcile"
    REPORTS_VIEW = "reports.view"
    STAFF_ADMIN = "staff.admin"  # create and deactivate staff, set roles and counters
    STAFF_UNLOCK = "staff.unlock"  # unlock an account, reset a password
    CATALOG_ADMIN = "catalog.admin"
    STOCK_RECEIVE = "stock.receive"  # handset deliveries into the hall's stock


_CLERK = frozenset(
    {
        Permission.CUSTOMER_SEARCH,
        Permission.CUSTOMER_VIEW,
        Permission.CUSTOMER_EDIT,
        Permission.ORDER_CREATE,
        Permission.PAYMENT_TAKE,
        Permission.QUEUE_WORK,
    }
)
_SUPERVISOR = _CLERK | {
    Permission.VIEW_SENSITIVE,
    Permission.APPROVE,
    Permission.CASH_RECONCILE,
    Permission.REPORTS_VIEW,
    Permission.STOCK_RECEIVE,
    Permission.STAFF_UNLOCK,
}
_ADMIN = _SUPERVISOR | {Permission.STAFF_ADMIN, Permission.CATALOG_ADMIN}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: _CLERK,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
}

PERMISSION_LABELS: dict[Permission, str] = {
    Permission.CUSTOMER_SEARCH: "查询客户",
    Permission.CUSTOMER_VIEW: "查看客户资料",
    Permission.VIEW_SENSITIVE: "查看完整证件号码和电话号码",
    Permission.CUSTOMER_EDIT: "修改客户资料",
    Permission.ORDER_CREATE: "受理业务",
    Permission.PAYMENT_TAKE: "收费",
    Permission.QUEUE_WORK: "叫号",
    Permission.APPROVE: "审批",
    Permission.CASH_RECONCILE: "现金日结",
    Permission.REPORTS_VIEW: "查看报表",
    Permission.STAFF_ADMIN: "员工管理",
    Permission.STAFF_UNLOCK: "解锁账号和重置密码",
    Permission.STOCK_RECEIVE: "终端入库",
    Permission.CATALOG_ADMIN: "产品目录管理",
}

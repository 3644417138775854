from __future__ import annotations

import pytest

from hall_app.domain.errors import ValidationError
from hall_app.services.customers import QueryKind, classify_query


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("13800138000", QueryKind.PHONE, "13800138000"),
        (" 138 0013 8000 ", QueryKind.PHONE, "13800138000"),
        ("138-0013-8000", QueryKind.PHONE, "13800138000"),
        ("+8613800138000", QueryKind.PHONE, "13800138000"),
        ("11010519491231002x", QueryKind.ID_OR_USCC, "11010519491231002X"),
        ("110105491231002", QueryKind.ID_OR_USCC, "11010519491231002X"),  # legacy, upgraded
        ("91350100m000100y43", QueryKind.ID_OR_USCC, "91350100M000100Y43"),
        ("059100012345", QueryKind.SERVICE_NUMBER, "059100012345"),
        ("kd0591261124010001", QueryKind.SERVICE_NUMBER, "KD0591261124010001"),
        ("张", QueryKind.NAME, "张"),
        ("欧阳娜娜", QueryKind.NAME, "欧阳娜娜"),
        ("ZS", QueryKind.INITIALS, "zs"),
        ("wxm", QueryKind.INITIALS, "wxm"),
    ],
)
def test_classify(text: str, kind: QueryKind, value: str) -> None:
    assert classify_query(text) == (kind, value)


@pytest.mark.parametrize("text", ["", "  ", "12", "张三?", "abc def ghi jkl mno"])
def test_unrecognised_input_names_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        classify_query(text)
    assert err.value.field == "查询条件"
    assert err.value.text.startswith("查询条件：")

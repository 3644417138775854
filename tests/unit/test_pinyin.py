from __future__ import annotations

import pytest

from hall_app.domain.pinyin import name_initials


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("张三", "zs"),
        ("王小明", "wxm"),
        ("欧阳娜娜", "oynn"),
        ("单雄信", "sxx"),  # 单 as a surname reads shàn
        ("曾国藩", "zgf"),  # 曾 zēng
        ("仇英", "qy"),  # 仇 qiú
        ("区志华", "ozh"),  # 区 ōu
        ("万俟卨", "mqx"),  # compound surname
        ("解放", "xf"),  # 解 xiè
        (" 李Tom ", "ltom"),
        ("林·阿依", "lay"),
    ],
)
def test_initials(name: str, initials: str) -> None:
    assert name_initials(name) == initials


def test_common_word_reading_kept_after_the_surname() -> None:
    assert name_initials("张单") == "zd"  # 单 in a given name keeps its common reading

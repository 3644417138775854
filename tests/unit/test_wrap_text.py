"""Wrapping the terms on the acceptance form: Chinese breaks anywhere, numbers never."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from hall_app.documents.drawing import _NO_LINE_START, _UNBREAKABLE, wrap_text
from hall_app.documents.fonts import register_cjk_font

FONT = register_cjk_font()


def test_amounts_are_not_split_and_punctuation_does_not_start_a_line() -> None:
    text = (
        "本人申请开通号码 19003875566，办理“5G 畅享 99 元套餐”，月费 ¥99.00，自开通之日起按月计费。"
    )
    for width in range(60, 400, 7):
        lines = wrap_text(text, FONT, 9, width)
        assert "".join(lines) == text
        for line in lines:
            assert line[:1] not in "，。、；：）》"
        for amount in ("19003875566", "¥99.00"):
            assert any(amount in line for line in lines)


@given(st.text(alphabet="中文条款号码 0123456789¥.，。abc", max_size=120), st.integers(20, 500))
def test_nothing_is_lost_and_lines_fit(text: str, width: int) -> None:
    lines = wrap_text(text, FONT, 9, width)
    assert "".join(lines) == text
    for line in lines:
        # Too wide only for one unbreakable run, or for closing punctuation kept on its line.
        tokens = _UNBREAKABLE.findall(line)
        while len(tokens) > 1 and tokens[-1][0] in _NO_LINE_START:
            tokens.pop()
        assert stringWidth("".join(tokens), FONT, 9) <= width or len(tokens) == 1


def test_an_opening_bracket_goes_down_with_what_it_opens() -> None:
    text = "华为 GPON 光猫 HN8145X6 押金（HWTC01A93E0D）"
    width = stringWidth("华为 GPON 光猫 HN8145X6 押金（", FONT, 9) + 1
    lines = wrap_text(text, FONT, 9, width)
    assert lines == ["华为 GPON 光猫 HN8145X6 押金", "（HWTC01A93E0D）"]

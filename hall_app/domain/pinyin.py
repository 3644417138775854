"""Pinyin initials of Chinese names, for search (张三 -> zs).

pypinyin reads characters as common words do; a few surnames read differently (单 shàn, 曾 zēng,
仇 qiú ...), and pypinyin has no surname mode (mozillazg/python-pinyin#120), so the surname is
looked up here first.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Initials of surnames whose surname reading differs from the common reading pypinyin gives.
SURNAME_INITIALS: dict[str, str] = {
    "万俟": "mq",
    "尉迟": "yc",
    "单于": "cy",
    "长孙": "zs",
    "单": "s",
    "曾": "z",
    "仇": "q",
    "朴": "p",
    "区": "o",
    "查": "z",
    "乐": "y",
    "解": "x",
    "盖": "g",
    "缪": "m",
    "翟": "z",
    "秘": "b",
    "覃": "q",
    "重": "c",
    "种": "c",
    "召": "s",
    "繁": "p",
    "洗": "x",
    "冼": "x",
    "员": "y",
    "贠": "y",
    "能": "n",
    "宓": "f",
    "句": "g",
}


@lru_cache(maxsize=65536)
def _char_initials(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()


def name_initials(name: str) -> str:
    """Lower-case pinyin initials of a name; Latin letters are kept, other characters dropped."""
    name = name.strip()
    for length in (2, 1):  # compound surnames (欧阳, 万俟) first
        surname = name[:length]
        if len(surname) == length and surname in SURNAME_INITIALS:
            return SURNAME_INITIALS[surname] + _initials_of(name[length:])
    return _initials_of(name)


def _initials_of(text: str) -> str:
    out = []
    for ch in text:
        if ch.isascii():
            if ch.isalpha():
                out.append(ch.lower())
        else:
            out.append(_char_initials(ch))
    return "".join(out)

"""Generators for realistic Chinese customers: names, resident IDs, addresses, phone numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from hall_app.domain.uscc import uscc_check_char

# Surnames weighted roughly by their frequency in China.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72),
    ("李", 70),
    ("张", 68),
    ("刘", 53),
    ("陈", 46),
    ("杨", 32),
    ("黄", 24),
    ("赵", 21),
    ("吴", 20),
    ("周", 19),
    ("徐", 14),
    ("孙", 13),
    ("马", 12),
    ("朱", 12),
    ("胡", 11),
    ("郭", 11),
    ("何", 10),
    ("林", 10),
    ("高", 9),
    ("罗", 9),
    ("郑", 9),
    ("梁", 8),
    ("谢", 7),
    ("宋", 6),
    ("唐", 6),
    ("许", 6),
    ("韩", 6),
    ("冯", 6),
    ("邓", 6),
    ("曹", 5),
    ("彭", 5),
    ("曾", 5),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("潘", 4),
    ("袁", 4),
    ("蔡", 4),
    ("蒋", 4),
    ("余", 4),
    ("于", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("魏", 3),
    ("苏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("卢", 3),
    ("姚", 3),
    ("沈", 3),
    ("钟", 3),
    ("姜", 3),
    ("崔", 3),
    ("谭", 3),
    ("陆", 3),
    ("范", 2),
    ("汪", 2),
    ("廖", 2),
    ("石", 2),
    ("金", 2),
    ("韦", 2),
    ("贾", 2),
    ("夏", 2),
    ("付", 2),
    ("方", 2),
    ("邹", 2),
    ("熊", 2),
    ("白", 2),
    ("孟", 2),
    ("秦", 2),
    ("邱", 2),
    ("侯", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("龙", 2),
    ("黎", 2),
    ("史", 2),
    ("陶", 2),
    ("贺", 2),
    ("单", 1),
    ("欧阳", 1),
    ("司马", 1),
    ("上官", 1),
    ("诸葛", 1),
    ("仇", 1),
    ("翟", 1),
)
MALE_CHARS = "伟强磊军洋勇杰涛明超华平刚辉鹏斌宇浩凯健俊帆帅旭宁龙林波志峰建国文斌晨阳泽睿博子豪宏"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂丹萍红玉兰琳婷雪慧佳倩颖露瑶怡欣梅莉晶琴蓉媛雯悦馨妍彤诗"

# Region codes (GB/T 2260) with their names; the hall is in Fuzhou, so Fujian dominates.
REGIONS: tuple[tuple[str, str, int], ...] = (
    ("350102", "福建省福州市鼓楼区", 30),
    ("350103", "福建省福州市台江区", 16),
    ("350104", "福建省福州市仓山区", 18),
    ("350105", "福建省福州市马尾区", 6),
    ("350111", "福建省福州市晋安区", 14),
    ("350121", "福建省福州市闽侯县", 10),
    ("350181", "福建省福清市", 8),
    ("350203", "福建省厦门市思明区", 6),
    ("350503", "福建省泉州市丰泽区", 6),
    ("350602", "福建省漳州市芗城区", 4),
    ("350702", "福建省南平市延平区", 3),
    ("350902", "福建省宁德市蕉城区", 3),
    ("110105", "北京市朝阳区", 3),
    ("310104", "上海市徐汇区", 3),
    ("440305", "广东省深圳市南山区", 3),
    ("330106", "浙江省杭州市西湖区", 3),
    ("510107", "四川省成都市武侯区", 2),
    ("420106", "湖北省武汉市武昌区", 2),
    ("360102", "江西省南昌市东湖区", 2),
    ("430104", "湖南省长沙市岳麓区", 2),
    ("320102", "江苏省南京市玄武区", 2),
)
STREETS = (
    "五四路",
    "东街",
    "八一七北路",
    "华林路",
    "湖东路",
    "杨桥中路",
    "工业路",
    "六一北路",
    "福新中路",
    "江滨大道",
    "金山大道",
    "国货西路",
    "台江路",
    "长乐南路",
    "鼓屏路",
    "温泉路",
    "白马路",
    "铜盘路",
)
ESTATES = ("花园", "新村", "小区", "公寓", "家园", "苑", "广场")
INDUSTRIES = (
    "科技",
    "贸易",
    "物流",
    "建设",
    "餐饮",
    "电子",
    "医药",
    "文化传媒",
    "信息技术",
    "食品",
)
COMPANY_WORDS = ("闽江", "鼓山", "榕城", "三坊七巷", "海峡", "东方", "华联", "新创", "恒达", "瑞丰")

# Customers' existing numbers; the pool for new numbers uses the newer segments (POOL_PREFIXES).
TELECOM_PREFIXES = ("133", "153", "173", "177", "180", "181", "189")
POOL_PREFIXES = ("190", "191", "193", "199")
OTHER_PREFIXES = ("135", "136", "138", "139", "150", "158", "186", "185", "130", "131", "156")


@dataclass(frozen=True)
class Person:
    name: str
    gender: str
    birth_date: date
    id_number: str
    region_code: str
    address: str


class PeopleFactory:
    """Draws people with unique valid ID numbers and unique phone numbers from one RNG."""

    PHONES_PER_NAMESPACE = 1_000_000

    def __init__(self, rng: random.Random, today: date, namespace: int = 0) -> None:
        """``namespace`` keeps phone numbers of separately generated chunks disjoint."""
        self._rng = rng
        self._today = today
        self._used_ids: set[str] = set()
        self._phone_counter = namespace * self.PHONES_PER_NAMESPACE
        self._phone_limit = self._phone_counter + self.PHONES_PER_NAMESPACE
        self._surname_table = _weighted_table([(n, w) for n, w in SURNAMES])
        self._region_table = _weighted_table([((c, n), w) for c, n, w in REGIONS])

    def person(self, min_age: int = 16, max_age: int = 80) -> Person:
        # One 128-bit draw per person, sliced into fields: 1M people must build in seconds.
        bits = self._rng.getrandbits(128)
        surname = self._surname_table[bits & 1023]
        bits >>= 10
        gender = "M" if bits & 1 else "F"
        bits >>= 1
        chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
        given = chars[bits % len(chars)]
        bits //= len(chars)
        if bits % 10 < 7:
            given += chars[(bits // 10) % len(chars)]
        bits >>= 16
        region_code, region_name = self._region_table[bits & 1023]
        bits >>= 10
        span = 365 * (max_age - min_age)
        birth = self._today - timedelta(days=365 * min_age + 5 + bits % span)
        bits >>= 16
        address = self._address_from(region_name, bits)
        bits >>= 40
        while True:
            seq = (bits % 500) * 2 + (1 if gender == "M" else 0)
            first17 = f"{region_code}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_char(first17)
            if number not in self._used_ids:
                self._used_ids.add(number)
                break
            bits = self._rng.getrandbits(16)
        return Person(
            name=surname + given,
            gender=gender,
            birth_date=birth,
            id_number=number,
            region_code=region_code,
            address=address,
        )

    def address(self, region_name: str | None = None) -> str:
        bits = self._rng.getrandbits(64)
        if region_name is None:
            region_name = self._region_table[bits & 1023][1]
            bits >>= 10
        return self._address_from(region_name, bits)

    @staticmethod
    def _address_from(region_name: str, bits: int) -> str:
        street = STREETS[bits % len(STREETS)]
        bits //= len(STREETS)
        word = COMPANY_WORDS[bits % len(COMPANY_WORDS)]
        bits //= len(COMPANY_WORDS)
        estate = ESTATES[bits % len(ESTATES)]
        bits //= len(ESTATES)
        no, bits = bits % 300 + 1, bits // 300
        bldg, bits = bits % 30 + 1, bits // 30
        unit, bits = bits % 4 + 1, bits // 4
        floor, bits = bits % 33 + 1, bits // 33
        room = bits % 6 + 1
        return f"{region_name}{street}{no}号{word}{estate}{bldg}栋{unit}单元{floor}0{room}室"

    def phone(self, telecom: bool = True) -> str:
        """A number no other call (in any namespace) returns: the 8-digit body is a bijective
        scramble of a counter, so it looks random but never repeats."""
        prefixes = TELECOM_PREFIXES if telecom else OTHER_PREFIXES
        counter = self._phone_counter
        if counter >= self._phone_limit:
            raise RuntimeError("phone namespace exhausted")
        self._phone_counter += 1
        body = (counter * 48_271_877 + 12_345_679) % 100_000_000  # multiplier coprime to 10**8
        return prefixes[self._rng.getrandbits(8) % len(prefixes)] + f"{body:08d}"

    def company(self) -> tuple[str, str]:
        rng = self._rng
        region_code, region_name = self._region_table[rng.getrandbits(10)]
        city = region_name[3:6] if region_name.startswith("福建省") else region_name[:2]
        name = f"{city}{rng.choice(COMPANY_WORDS)}{rng.choice(INDUSTRIES)}有限公司"
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            org = "".join(rng.choice(alphabet) for _ in range(9))
            first17 = f"91{region_code}{org}"
            code = first17 + uscc_check_char(first17)
            if code not in self._used_ids:
                self._used_ids.add(code)
                return name, code


T = TypeVar("T")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_char(first17: str) -> str:
    """The GB 11643 check character (same rule as ``resident_id_check_char``, without the
    input validation, which the generator does not need)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _weighted_table(items: list[tuple[T, int]], size: int = 1024) -> list[T]:
    """A lookup table of ``size`` slots filled in proportion to the weights."""
    total = sum(w for _, w in items)
    table: list[T] = []
    for i, (item, weight) in enumerate(items):
        count = round(weight * size / total) if i < len(items) - 1 else size - len(table)
        table.extend([item] * max(count, 1))
    return (table + [items[0][0]] * size)[:size]

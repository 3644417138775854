"""Blind indexes of customers' sealed personal data: how exact and prefix lookups still work.

Each is an HMAC (``crypto.active().blind``) of a normalised value, so equal values give equal
index values and nothing else can be read from them:

- ``id_number_bidx``: the ID number, upper-case, without spaces;
- ``contact_phone_bidx`` and ``alt_phone_bidx``: the phone's digits (one kind: a number
  searched finds it in either column);
- ``name_p1`` … ``name_p4``: the name's first one to four characters, and ``initials_p1`` …
  ``initials_p4`` the first one to four letters of its pinyin initials (``None`` where the
  name is shorter). A longer query matches the 4-prefix and is filtered after opening.

What that leaks is no more than the issue allows: which customers share an ID number, a phone,
or a name / initials prefix of up to four characters.

The ORM keeps them on every flush (:func:`bind_customers`); Core writers (the demo builder)
take them from :func:`customer_indexes`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect

from hall_app.db import crypto
from hall_app.domain.pinyin import name_initials

PREFIXES = 4  # name_p1..name_p4, initials_p1..initials_p4
NAME_COLUMNS = tuple(f"name_p{k}" for k in range(1, PREFIXES + 1))
INITIALS_COLUMNS = tuple(f"initials_p{k}" for k in range(1, PREFIXES + 1))
INDEX_COLUMNS = (
    "id_number_bidx",
    "contact_phone_bidx",
    "alt_phone_bidx",
    *NAME_COLUMNS,
    *INITIALS_COLUMNS,
)
# What each index is computed from (a change of one of these recomputes them).
SOURCES = ("name", "id_number", "contact_phone", "alt_phone")


def normal_id(value: str) -> str:
    return "".join(value.split()).upper()


def normal_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def id_index(value: str | None) -> str | None:
    """The blind index of an ID number (or ``None``)."""
    return None if not value else crypto.active().blind("id", normal_id(value))


def phone_index(value: str | None) -> str | None:
    """The blind index of a phone number, the same for the contact and the other phone."""
    return None if not value else crypto.active().blind("phone", normal_phone(value))


def _prefixes(kind: str, text: str) -> list[str | None]:
    keys = crypto.active()
    return [
        keys.blind(f"{kind}{k}", text[:k]) if len(text) >= k else None
        for k in range(1, PREFIXES + 1)
    ]


def name_prefix_indexes(name: str) -> list[str | None]:
    """``name_p1`` … ``name_p4`` of a name."""
    return _prefixes("name", name.strip())


def initials_prefix_indexes(name: str) -> list[str | None]:
    """``initials_p1`` … ``initials_p4`` of a name (its lower-case pinyin initials)."""
    return _prefixes("initials", name_initials(name))


def prefix_lookup(kind: str, query: str) -> tuple[str, str, bool]:
    """For a name (``kind`` "name") or initials ("initials") query: the index column to look
    in, the value to look for, and whether the matches must still be filtered after opening
    (a query longer than the indexed prefixes)."""
    length = min(len(query), PREFIXES)
    column = f"{kind}_p{length}"
    return column, crypto.active().blind(f"{kind}{length}", query[:length]), len(query) > length


def customer_indexes(
    name: str | None, id_number: str | None, contact_phone: str | None, alt_phone: str | None
) -> dict[str, str | None]:
    """Every blind index column of a customer with these values (for Core inserts)."""
    out: dict[str, str | None] = {
        "id_number_bidx": id_index(id_number),
        "contact_phone_bidx": phone_index(contact_phone),
        "alt_phone_bidx": phone_index(alt_phone),
    }
    names = name_prefix_indexes(name) if name else [None] * PREFIXES
    initials = initials_prefix_indexes(name) if name else [None] * PREFIXES
    out.update(zip(NAME_COLUMNS, names, strict=True))
    out.update(zip(INITIALS_COLUMNS, initials, strict=True))
    return out


def _plain(value: Any) -> str | None:
    return None if value is None else str(value)


def _fill(target: Any, changed_only: bool) -> None:
    state = inspect(target)
    if changed_only and not any(state.attrs[key].history.has_changes() for key in SOURCES):
        return
    values = state.dict
    if any(key not in values for key in SOURCES):  # not loaded: refresh what is
        target_values = {key: getattr(target, key) for key in SOURCES}
    else:
        target_values = {key: values[key] for key in SOURCES}
    for column, value in customer_indexes(
        _plain(target_values["name"]),
        _plain(target_values["id_number"]),
        _plain(target_values["contact_phone"]),
        _plain(target_values["alt_phone"]),
    ).items():
        if values.get(column) != value:
            setattr(target, column, value)


def bind_customers(customer: type) -> None:
    """Keep a mapped customer class's blind indexes on every flush (the models package)."""
    event.listen(customer, "before_insert", lambda _m, _c, target: _fill(target, False))
    event.listen(customer, "before_update", lambda _m, _c, target: _fill(target, True))

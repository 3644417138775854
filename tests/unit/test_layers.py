"""Layers point one way: domain <- db <- services <- sync/documents/cli <- ui.

Every import statement of the source tree is read with ``ast`` (those inside functions and
under ``if TYPE_CHECKING:`` too, since they still tie one layer to another) and checked
against the rules below. A failure names the file, the line and the rule."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "shiboken6")
ABOVE_DB = (
    "hall_app.services",
    "hall_app.sync",
    "hall_app.documents",
    "hall_app.cli",
    "hall_app.app",
    "hall_app.demo",
    "ui",
)

# (importing module prefix, forbidden imported prefixes, why)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("hall_app.services", ("hall_app.sync",), "a service never imports sync"),
    ("hall_app.db", ABOVE_DB, "db sits below the services"),
    ("hall_app", QT, "hall_app never imports Qt"),
    ("hall_app", ("ui",), "hall_app never imports the screens"),
    ("ui", ("sqlalchemy",), "a screen calls services, never SQLAlchemy"),
    ("ui", ("hall_app.db",), "a screen calls services, never the database layer"),
    ("hall_app.domain", ("sqlalchemy", *QT), "the domain is pure rules and values"),
]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in the file, nested ones included."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            yield node.lineno, name
            # ``from hall_app import sync`` imports the package hall_app.sync.
            for alias in node.names:
                yield node.lineno, f"{name}.{alias.name}"


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path = ROOT) -> list[str]:
    """One message per file, line and broken rule."""
    found: dict[tuple[str, int, str], str] = {}
    for top in ("hall_app", "ui"):
        for path in sorted((root / top).rglob("*.py")):
            module = module_name(path, root)
            where = str(path.relative_to(root))
            for line, name in imported_names(path, root):
                for importer, forbidden, why in RULES:
                    if within(module, importer) and any(within(name, f) for f in forbidden):
                        found.setdefault(
                            (where, line, why), f"{where}:{line} imports {name} ({why})"
                        )
                # The domain imports nothing of the product but the domain.
                product = within(name, "hall_app") or within(name, "ui")
                if (
                    within(module, "hall_app.domain")
                    and product
                    and not within(name, "hall_app.domain")
                ):
                    why = "the domain imports only itself"
                    found.setdefault((where, line, why), f"{where}:{line} imports {name} ({why})")
    return sorted(found.values())


def test_imports_point_down() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("hall_app/services/x.py", "from hall_app.sync.push import Pusher\n", "never imports sync"),
        ("hall_app/services/x.py", "from hall_app import sync\n", "never imports sync"),
        ("hall_app/services/x.py", "from ..sync import push\n", "never imports sync"),
        (
            "hall_app/services/x.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import hall_app.sync\n",
            "never imports sync",
        ),
        ("hall_app/db/x.py", "def f():\n    from hall_app.services import audit\n", "below"),
        ("hall_app/db/x.py", "from ui.ops import Ops\n", "below"),
        ("hall_app/domain/x.py", "from hall_app.db.models import Base\n", "only itself"),
        ("hall_app/domain/x.py", "from ..services import audit\n", "only itself"),
        ("hall_app/documents/x.py", "from PySide6.QtGui import QImage\n", "never imports Qt"),
        ("hall_app/x.py", "import shiboken6\n", "never imports Qt"),
        ("hall_app/cli.py", "import ui.app\n", "never imports the screens"),
        ("ui/customers/x.py", "from sqlalchemy import select\n", "never SQLAlchemy"),
        ("ui/x.py", "def f():\n    import sqlalchemy.orm\n", "never SQLAlchemy"),
        ("ui/x.py", "from hall_app.db.engine import Database\n", "never the database layer"),
        ("ui/x.py", "from hall_app import db\n", "never the database layer"),
        ("hall_app/domain/x.py", "from sqlalchemy import select\n", "pure rules"),
    ],
)
def test_a_wrong_import_is_caught(tmp_path: Path, where: str, source: str, expected: str) -> None:
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    (tmp_path / "ui").mkdir(exist_ok=True)
    (tmp_path / "hall_app" / "domain").mkdir(parents=True, exist_ok=True)
    found = violations(tmp_path)
    assert found and all(f.startswith(f"{where}:") for f in found), found
    assert any(expected in f for f in found), found


def test_allowed_imports_pass(tmp_path: Path) -> None:
    for where, source in [
        ("hall_app/sync/x.py", "from hall_app.services import audit\nfrom ..db import central\n"),
        ("hall_app/services/x.py", "from hall_app.db.central import CentralLink\n"),
        ("hall_app/domain/x.py", "from . import money\nfrom hall_app.domain import enums\n"),
        ("ui/x.py", "from PySide6.QtWidgets import QLabel\nfrom hall_app.services import auth\n"),
    ]:
        path = tmp_path / where
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert violations(tmp_path) == []

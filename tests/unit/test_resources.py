"""The one locator for shipped files (resources/, migrations/); the installed-wheel case is
tests/integration/test_wheel.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall_app import resources

CHECKOUT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_its_top_level_folders() -> None:
    assert resources.resources_dir() == CHECKOUT / "resources"
    assert resources.migrations_dir() == CHECKOUT / "migrations"
    assert (
        resources.resource_path("icons", "hall.svg").read_text(encoding="utf-8").startswith("<svg")
    )


def test_a_missing_resource_names_itself() -> None:
    with pytest.raises(FileNotFoundError, match=r"icons/nope\.svg"):
        resources.resource_path("icons", "nope.svg")


def test_an_installed_package_uses_its_mapped_folders(tmp_path: Path) -> None:
    package = tmp_path / "hall_app"
    (package / "_resources" / "style").mkdir(parents=True)
    (package / "_migrations").mkdir()
    # A stray top-level resources/ beside an installed package (no pyproject.toml) is ignored.
    (tmp_path / "resources").mkdir()
    assert resources._locate_from(package, "resources", "_resources") == package / "_resources"
    assert resources._locate_from(package, "migrations", "_migrations") == package / "_migrations"
    (package / "_migrations").rmdir()
    with pytest.raises(FileNotFoundError, match="migrations/ not found"):
        resources._locate_from(package, "migrations", "_migrations")

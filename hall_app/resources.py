"""Where the files the app ships beside its code are found: ``resources/`` and ``migrations/``.

In a checkout (or an editable install) they are the top-level folders of the repository. In an
installed wheel they are inside the package, as ``hall_app/_resources`` and
``hall_app/_migrations`` (setup.py maps them there). The checkout is tried first, so a developer
editing ``resources/style/hall.qss`` sees the change without reinstalling.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate_from(package_dir: Path, checkout_name: str, installed_name: str) -> Path:
    # A checkout is recognised by its pyproject.toml beside the package, so an unrelated
    # ``resources`` folder next to an installed package (site-packages) is never picked up.
    checkout = package_dir.parent / checkout_name
    if (package_dir.parent / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    installed = package_dir / installed_name
    if installed.is_dir():
        return installed
    raise FileNotFoundError(
        f"{checkout_name}/ not found: looked in {checkout} and {installed}; "
        "the package was built without its data files"
    )


@cache
def resources_dir() -> Path:
    """The folder holding the style sheet, icons, printed terms and translations."""
    return _locate_from(_PACKAGE_DIR, "resources", "_resources")


@cache
def migrations_dir() -> Path:
    """Alembic's script folder (env.py, versions/)."""
    return _locate_from(_PACKAGE_DIR, "migrations", "_migrations")


def resource_path(*parts: str) -> Path:
    """The path of one shipped file, e.g. ``resource_path("style", "hall.qss")``.

    Raises FileNotFoundError naming the file when it is not there (a packaging bug)."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"resource missing: {'/'.join(parts)} (looked in {path})")
    return path


def read_text(*parts: str) -> str:
    """The UTF-8 text of one shipped file."""
    return resource_path(*parts).read_text(encoding="utf-8")


def read_bytes(*parts: str) -> bytes:
    return resource_path(*parts).read_bytes()

"""An installed wheel finds its style sheet, icons and Alembic migrations without the checkout:
the wheel is built from a copy of the sources, installed with ``pip --target`` and used from a
process that can not import the checkout."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "main.py")
TREES = ("hall_app", "ui", "resources", "migrations")

PROBE = """
import json, sys
from pathlib import Path
import hall_app
from hall_app import resources
from hall_app.db.engine import make_engine
from hall_app.db.migrate import HEAD_REVISION, current_revision, upgrade_to_head
from hall_app.services.orders import terms_clauses

engine = make_engine("sqlite:///" + sys.argv[1])
migrated = upgrade_to_head(engine)
print(json.dumps({
    "package": hall_app.__file__,
    "resources": str(resources.resources_dir()),
    "migrations": str(resources.migrations_dir()),
    "qss": resources.read_text("style", "hall.qss"),
    "icon": resources.read_text("icons", "hall.svg")[:4],
    "terms": terms_clauses("open_mobile")["plan"],
    "migrated": migrated,
    "revision": current_revision(engine),
    "head": HEAD_REVISION,
}))
"""


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, timeout=600)


@pytest.mark.slow
def test_an_installed_wheel_finds_its_resources_and_migrations(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a clean copy: no build/ left from an earlier build, no caches
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    for name in TREES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist, target, work = tmp_path / "dist", tmp_path / "target", tmp_path / "work"
    work.mkdir()
    # Without the ``wheel`` package, this setuptools can not build a wheel in the venv itself:
    # pip then builds it in an isolated environment (setuptools and wheel from the index).
    isolation = [] if importlib.util.find_spec("wheel") is None else ["--no-build-isolation"]
    _pip("wheel", "--no-deps", *isolation, "-w", str(dist), str(source))
    [wheel] = dist.glob("hall_app-*.whl")
    _pip("install", "--no-deps", "--target", str(target), str(wheel))
    assert not (target / "resources").exists() and not (target / "migrations").exists()

    # -S: no site-packages processing, so no .pth file (an editable install of the checkout)
    # can put the checkout back; the dependencies come from the venv's site-packages.
    site = sysconfig.get_paths()["purelib"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HALL_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(target), site])
    db = work / "fresh.sqlite3"
    out = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, str(db)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(got["package"]).is_relative_to(target)
    assert Path(got["resources"]) == target / "hall_app" / "_resources"
    assert Path(got["migrations"]) == target / "hall_app" / "_migrations"
    assert got["qss"] == (ROOT / "resources" / "style" / "hall.qss").read_text(encoding="utf-8")
    assert got["icon"] == "<svg"
    assert got["terms"].startswith("本人申请开通号码 {number}，办理“{plan}”")
    assert got["migrated"] is True and got["revision"] == got["head"]
    assert str(ROOT) not in out.stdout + out.stderr

"""Alembic owns the schema; the app upgrades its database to head at start.

Starting on a current database does not import Alembic at all (about a quarter of a second):
the stored revision is read with one query and compared with ``HEAD_REVISION``, which
tests/integration/test_migrations.py keeps equal to Alembic's own head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from hall_app.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0021"


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.attributes["engine"] = engine
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def head_revision() -> str | None:
    """The head according to Alembic's scripts (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_to_head(engine: Engine) -> bool:
    """Bring the schema to head. Returns True when a migration ran, False when already current."""
    if current_revision(engine) == HEAD_REVISION:
        return False
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    return True

"""The app started as the GUI starts it makes the day's backup, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from hall_app.config import Settings


def test_the_app_started_makes_the_days_backup(demo_url: str, tmp_path: Path) -> None:
    from ui.app import _open_database

    folder = tmp_path / "backups-here"
    hall = _open_database(Settings.load(env={"HALL_BACKUP_DIR": str(folder)}, db_url=demo_url))
    try:
        assert hall.backups is not None
        hall.backups.wait_idle()
        [made] = hall.backups.generations()
        assert made.path.parent == folder and hall.backups.done_today()
    finally:
        hall.close()

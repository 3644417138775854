"""The models' mappers are configured when they are imported, not by the first query: in the
app that first query is the clerk's login, which then waited 60–130 ms longer after Enter
(bench S2b). A fresh interpreter, since other tests have long configured them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_models_configures_every_mapper() -> None:
    code = (
        "import hall_app.db.models as m; "
        "mappers = list(m.Base.registry.mappers); "
        "print(len(mappers), all(mp.configured for mp in mappers))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    count, configured = done.stdout.split()
    assert int(count) >= 30
    assert configured == "True"

"""Entry point: ``hall-app`` starts the counter GUI; ``hall-app demo|migrate`` are commands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from hall_app.cli import COMMANDS

    if any(a in COMMANDS for a in args) or any(a in ("-h", "--help") for a in args):
        from hall_app.cli import main as cli_main

        return cli_main(args)
    from ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bot [serve|demo|digest|alerts|clock|db]``: parse the command line and hand it to the command's
module. Nothing else happens here; each command's body lives in the module :data:`COMMANDS` names."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def _digest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=_date, help="digest date YYYY-MM-DD (backfills, tests)")


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--screenshots", type=Path, metavar="DIR", help="also draw each message as a phone shows it, one PNG each"
    )


def _db_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["upgrade", "current"])


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, the module whose ``main(args) -> int`` runs it (imported only when
    chosen, so ``db`` and ``demo`` never load the Slack side), and its own arguments."""

    help: str
    module: str
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


COMMANDS: dict[str, Command] = {
    "serve": Command("run the bot (the default)", "bot.serve"),
    "demo": Command(
        "the real report pipeline against a built-in sample Braze server; no accounts", "bot.demo", _demo_arguments
    ),
    "digest": Command("run one digest round now (posts nothing twice)", "bot.digest", _digest_arguments),
    "alerts": Command("check every alert now (posts nothing twice); non-zero when a check failed", "bot.alerts"),
    "clock": Command("run only the digest scheduler (Procfile clock process)", "bot.clock"),
    "db": Command(
        "database schema: upgrade to the newest revision, or show the current one", "bot.migrate", _db_arguments
    ),
}
DEFAULT = "serve"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="sendstats: Braze send analytics in Slack")
    sub = parser.add_subparsers(dest="command")
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(name, help=command.help)
        if command.arguments is not None:
            command.arguments(command_parser)
    args = parser.parse_args(argv)
    command = COMMANDS[args.command or DEFAULT]
    run: Callable[[argparse.Namespace], int] = importlib.import_module(command.module).main
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

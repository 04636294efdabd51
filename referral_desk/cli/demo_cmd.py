"""`referral-desk demo`: add a fictional directory and caseload (`referral_desk.demo`).

The demo package is imported only when the command runs, so no other command (and nothing on
the production path) loads the generator or its word lists.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from referral_desk.usecases.app_services import AppServices


def add_demo_parser(
    subparsers: argparse._SubParsersAction, json_parent: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """Add the `demo` command to the top-level parser's subcommands."""
    demo = subparsers.add_parser(
        "demo", parents=[json_parent], help="add a fictional directory and caseload"
    )
    demo.add_argument("--people", type=int, default=50, metavar="N")
    demo.add_argument("--services", type=int, default=150, metavar="M")
    demo.add_argument("--referrals", type=int, default=None, metavar="R")
    demo.add_argument("--seed", type=int, default=0, metavar="S")
    return demo


def run_demo(
    app: AppServices, args: argparse.Namespace
) -> tuple[dict[str, Any], Callable[[Any], str]]:
    """Generate the demo; returns the counts added and their one-line rendering."""
    from referral_desk.demo import generate_demo

    summary = generate_demo(
        app, people=args.people, services=args.services, referrals=args.referrals, seed=args.seed
    )
    data = vars(summary)
    return data, lambda d: "Demo data added: " + ", ".join(f"{v} {k}" for k, v in d.items())

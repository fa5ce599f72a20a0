"""`python -m devstack fetch|up|down|status|logs`: the commands behind the justfile."""

from __future__ import annotations

import argparse
import sys

from devstack import stack
from devstack.kafka import fetch_jars
from devstack.prereqs import MissingPrerequisite


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; a missing prerequisite is one line."""
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="download the Kafka broker's jars")
    sub.add_parser("up", help="start Kafka, Redis, the ingress and the flow")
    sub.add_parser("down", help="stop what up started")
    sub.add_parser("status", help="what runs, where, and its logs")
    logs = sub.add_parser("logs", help="tail the logs")
    logs.add_argument("name", nargs="?")
    logs.add_argument("-n", "--lines", type=int, default=40)
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(fetch_jars(stack.CACHE_DIR))
            return 0
        if args.command == "up":
            return stack.up()
        if args.command == "down":
            return stack.down()
        if args.command == "status":
            return stack.status()
        return stack.logs(args.name, args.lines)
    except MissingPrerequisite as exc:
        print(f"livedub: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

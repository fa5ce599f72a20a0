"""`python -m ingress --bind HOST:PORT`: serve the app with Hypercorn."""

from __future__ import annotations

import argparse
import asyncio

from hypercorn.asyncio import serve
from hypercorn.config import Config

from ingress.app import create_app


def main() -> None:
    """Serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="ingress")
    parser.add_argument("--bind", default="127.0.0.1:8080")
    args = parser.parse_args()
    config = Config()
    config.bind = [args.bind]
    config.accesslog = "-"
    asyncio.run(serve(create_app(), config))


if __name__ == "__main__":
    main()

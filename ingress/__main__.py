"""`python -m ingress [--bind HOST:PORT] [--instance I --instances N]`: serve with Hypercorn.

--instance/--instances override INGRESS_INSTANCE/INGRESS_INSTANCES (which
results partitions this process reads; see the README's "Results fan-out").
"""

from __future__ import annotations

import argparse
import dataclasses
import logging

import uvloop
from hypercorn.asyncio import serve
from hypercorn.config import Config

import settings
from ingress.app import create_app
from ingress.client_address import is_loopback
from ingress.gil import quick_thread_switches
from ingress.ws_compression import decline_compression
from settings.heap import freeze_startup_objects

# No request headers and no query string: tokens never reach the access log.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'
# Frames are at most 1 s (32000 B); larger messages are still read, so they can be
# answered with frame_too_large, but nothing near Hypercorn's 16 MiB default.
WEBSOCKET_MAX_MESSAGE_BYTES = 1024 * 1024
LISTEN_BACKLOG = 2048


def hypercorn_config(cfg: settings.Settings, bind: str) -> Config:
    """How Hypercorn serves the app: bind, access log, WebSocket keepalive and limits."""
    config = Config()
    config.bind = [bind]
    config.accesslog = "-"
    config.access_log_format = ACCESS_LOG_FORMAT
    config.websocket_ping_interval = cfg.ws_ping_interval_seconds or None
    config.websocket_max_message_size = WEBSOCKET_MAX_MESSAGE_BYTES
    # Many viewers (re)connect at once after a blip: let the kernel queue them.
    config.backlog = LISTEN_BACKLOG
    return config


def main() -> None:
    """Serve until SIGTERM/SIGINT."""
    cfg = settings.load()
    parser = argparse.ArgumentParser(prog="ingress")
    parser.add_argument("--bind", default=f"{cfg.ingress_host}:{cfg.ingress_port}")
    parser.add_argument("--instance", type=int, default=cfg.ingress_instance)
    parser.add_argument("--instances", type=int, default=cfg.ingress_instances)
    args = parser.parse_args()
    cfg = dataclasses.replace(cfg, ingress_instance=args.instance, ingress_instances=args.instances)
    # Our own log lines from INFO up; Hypercorn's logs keep the handlers it sets up.
    ours = logging.getLogger("ingress")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    host = args.bind.rpartition(":")[0]
    if cfg.dev_tokens and not is_loopback(host):
        ours.warning(
            "DEV_TOKENS is on and %s is not loopback: anyone who reaches it can mint tokens",
            args.bind,
        )
    decline_compression()
    app = create_app(cfg)
    freeze_startup_objects()
    quick_thread_switches()
    # uvloop: the per-frame socket and scheduling work is most of the ingress's CPU.
    uvloop.run(serve(app, hypercorn_config(cfg, args.bind)))


if __name__ == "__main__":
    main()

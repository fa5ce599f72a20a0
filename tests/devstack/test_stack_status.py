"""`just up`/`just status` point a newcomer at the demo page, or say how to build it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import settings
from devstack.stack import demo_line


def test_the_demo_line_names_the_page_once_it_is_built(tmp_path: Path) -> None:
    cfg = dataclasses.replace(settings.load(), demo_dir=str(tmp_path))
    assert "just ext-build" in demo_line(cfg, "http://127.0.0.1:8080")
    (tmp_path / "index.html").write_text("<!doctype html>")
    line = demo_line(cfg, "http://127.0.0.1:8080")
    assert "http://127.0.0.1:8080/demo/" in line and "start here" in line

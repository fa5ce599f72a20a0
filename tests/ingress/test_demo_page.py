"""The demo page at /demo/: the built files with their content types, or a clear 503."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from quart.typing import TestClientProtocol as Client

import settings
from ingress.app import create_app

INDEX = '<!doctype html><script type="module" src="/demo/assets/index-abc.js"></script>'


@pytest.fixture
def demo_build(tmp_path: Path) -> Path:
    """A build laid out as `vite build` writes it."""
    root = tmp_path / "demo"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc.js").write_text("export {};\n")
    (root / "assets" / "index-abc.css").write_text("body {}\n")
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


def client_for(cfg: settings.Settings, demo_dir: Path) -> Client:
    return create_app(dataclasses.replace(cfg, demo_dir=str(demo_dir))).test_client()


async def test_serves_the_page_and_its_assets_with_their_types(
    ingress_cfg: settings.Settings, demo_build: Path
) -> None:
    client = client_for(ingress_cfg, demo_build)
    page = await client.get("/demo/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert await page.get_data(as_text=True) == INDEX
    assert page.headers["Cache-Control"] == "no-cache"
    for name, mimetype in [("index-abc.js", "text/javascript"), ("index-abc.css", "text/css")]:
        asset = await client.get(f"/demo/assets/{name}")
        assert (asset.status_code, asset.mimetype) == (200, mimetype)
        assert await asset.get_data() == (demo_build / "assets" / name).read_bytes()
    bare = await client.get("/demo")
    assert bare.status_code in (301, 308) and bare.headers["Location"].endswith("/demo/")


@pytest.mark.parametrize(
    "path", ["/demo/assets/missing.js", "/demo/../secret.txt", "/demo/%2e%2e/secret.txt"]
)
async def test_anything_else_under_demo_is_not_found(
    ingress_cfg: settings.Settings, demo_build: Path, path: str
) -> None:
    response = await client_for(ingress_cfg, demo_build).get(path)
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


async def test_without_a_build_every_demo_path_says_how_to_build_it(
    ingress_cfg: settings.Settings, tmp_path: Path
) -> None:
    client = client_for(ingress_cfg, tmp_path / "never-built")
    for path in ("/demo/", "/demo/assets/index-abc.js"):
        response = await client.get(path)
        assert response.status_code == 503
        error = (await response.get_json())["error"]
        assert error["code"] == "demo_not_built"
        assert "just ext-build" in error["message"]

"""The built demo page at /demo/ (index.html and its assets), from DEMO_DIR.

The page calls the API on its own origin, so serving it here needs no CORS.
Without a build every /demo/ path answers 503 demo_not_built, saying how to
build it, rather than a bare 404.
"""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, send_from_directory

from ingress.errors import ApiError
from ingress.runtime import current_runtime
from wire.errors import ErrorCode

INDEX = "index.html"

demo_page = Blueprint("demo", __name__)


def _built_demo() -> Path:
    directory = Path(current_runtime().cfg.demo_dir)
    if not (directory / INDEX).is_file():
        raise ApiError(
            ErrorCode.DEMO_NOT_BUILT,
            f"the demo page is not built (no {directory / INDEX}): run `just ext-build`",
        )
    return directory


@demo_page.get("/demo/")
async def demo_index() -> Response:
    """The page itself; never cached, since each build names its assets anew."""
    response = await send_from_directory(_built_demo(), INDEX)
    response.headers["Cache-Control"] = "no-cache"
    return response


@demo_page.get("/demo/<path:name>")
async def demo_asset(name: str) -> Response:
    """A file of the build (scripts, styles, the capture worklet); 404 not_found if absent."""
    return await send_from_directory(_built_demo(), name)

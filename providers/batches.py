"""What every translator does around its engine: blank texts, same-language and unserved pairs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from providers.base import Translation
from providers.deadlines import within


def kept(texts: Sequence[str], source: str, target: str) -> list[Translation]:
    """The texts as they are: unchanged for the same language, else marked `untranslated`."""
    return [Translation(text, source, target, untranslated=source != target) for text in texts]


async def translate_nonblank(
    texts: Sequence[str],
    source: str,
    target: str,
    translate: Callable[[list[str]], Awaitable[list[str]]],
) -> list[Translation]:
    """Blank texts stay blank; the rest go to `translate` in one batch, in order."""
    wanted = [text for text in texts if text.strip()]
    done = iter(await translate(wanted) if wanted else [])
    return [Translation(next(done) if text.strip() else "", source, target) for text in texts]


async def translate_within(
    texts: Sequence[str],
    source: str,
    target: str,
    translate: Callable[[], Awaitable[list[Translation]]],
    *,
    timeout: float,
    what: str,
) -> list[Translation]:
    """Same language: the texts unchanged, no engine asked; else `translate()`, bounded in time."""
    if source == target:
        return kept(texts, source, target)
    return await within(translate(), timeout, what)

"""What every translator does around its engine: blank texts, same-language and unserved pairs."""

from __future__ import annotations

from abc import ABC, abstractmethod
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


class BoundedTranslator(ABC):
    """`Translator.translate` for every engine: same language costs nothing, the rest is bounded.

    Subclasses implement `_translate`; the call runs within `_timeout` seconds.
    """

    name: str
    _timeout: float

    async def translate(
        self, texts: Sequence[str], source: str, target: str, *, glossary: str | None = None
    ) -> list[Translation]:
        """Translate each text; a pair the engine does not serve comes back `untranslated`."""
        if source == target:
            return kept(texts, source, target)
        work = self._translate(texts, source, target, glossary)
        return await within(work, self._timeout, f"{self.name} translation")

    @abstractmethod
    async def _translate(
        self, texts: Sequence[str], source: str, target: str, glossary: str | None
    ) -> list[Translation]:
        """The engine's translation of the texts (source and target differ)."""

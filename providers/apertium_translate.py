"""Offline translation: Apertium (rule-based, Debian packages) through its command line.

Which pairs exist is asked of `apertium -l` (eng-spa and spa-eng here). A batch
of texts goes through one `apertium -u` run, separated by blank lines: the
text deformatter treats a blank line as a sentence end, so no transfer rule
reaches across two texts. If the count that comes back ever differs, each
text is translated on its own, concurrently.

A pair Apertium cannot serve (Hebrew has no pair) returns the source text
marked `untranslated`: never an error, never text in a language nobody asked
for. Apertium has no glossaries; a `glossary` argument is ignored.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from providers.base import Translation
from providers.batches import BoundedTranslator, kept, translate_nonblank
from providers.commands import run_command
from providers.languages import alpha2

_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_SPACES = re.compile(r"\s+")


def _normalize(text: str) -> str:
    # One line per text: a blank line inside would read as a separator.
    return _SPACES.sub(" ", text).strip()


def parse_modes(listing: str) -> dict[tuple[str, str], str]:
    """`apertium -l` output -> {(source, target) in ISO 639-1: mode name}.

    Regional variants (`spa-eng_US`) serve the same pair; the plain mode wins.
    """
    modes: dict[tuple[str, str], str] = {}
    for mode in sorted(listing.split(), key=len):
        source, _, target = mode.partition("-")
        pair = (alpha2(source), alpha2(target.split("_")[0]))
        if pair[0] and pair[1]:
            modes.setdefault((pair[0], pair[1]), mode)
    return modes


class ApertiumTranslator(BoundedTranslator):
    """Apertium for the pairs it has, the source text marked untranslated for the rest."""

    name = "apertium"

    def __init__(self, *, timeout: float = 20.0, binary: str = "apertium") -> None:
        self._timeout = timeout
        self._binary = binary
        self._modes: dict[tuple[str, str], str] | None = None

    async def pairs(self) -> frozenset[tuple[str, str]]:
        """The (source, target) pairs the installed language data serves."""
        return frozenset(await self._installed_modes())

    async def _installed_modes(self) -> dict[tuple[str, str], str]:
        if self._modes is None:
            listing = await run_command([self._binary, "-l"])
            self._modes = parse_modes(listing.decode())
        return self._modes

    async def _translate(
        self, texts: Sequence[str], source: str, target: str, glossary: str | None
    ) -> list[Translation]:
        mode = (await self._installed_modes()).get((source, target))
        if mode is None:
            return kept(texts, source, target)

        async def batch(lines: list[str]) -> list[str]:
            translated = await self._run(mode, lines)
            if len(translated) == len(lines):
                return translated
            return list(await asyncio.gather(*(self._run_one(mode, line) for line in lines)))

        return await translate_nonblank(texts, source, target, batch)

    async def _run(self, mode: str, texts: Sequence[str]) -> list[str]:
        lines = "\n\n".join(_normalize(text) for text in texts) + "\n"
        output = await run_command([self._binary, "-u", mode], lines.encode())
        blocks = _BLANK_LINES.split(output.decode().strip())
        return [_normalize(block) for block in blocks]

    async def _run_one(self, mode: str, line: str) -> str:
        return " ".join(await self._run(mode, [line]))

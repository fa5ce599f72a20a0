"""Offline translation: Apertium (rule-based, Debian packages) through its command line.

Which pairs exist is asked of `apertium -l` (eng-spa and spa-eng here). Each
direction's stages run for as long as the translator does
(`providers.apertium_pipeline`), and each text goes through them on its own,
so no transfer rule reaches across two texts.

A pair Apertium cannot serve (Hebrew has no pair) returns the source text
marked `untranslated`: never an error, never text in a language nobody asked
for. Apertium has no glossaries; a `glossary` argument is ignored.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from providers.apertium_pipeline import ModePipeline
from providers.base import Translation
from providers.batches import BoundedTranslator, kept, translate_nonblank
from providers.commands import run_command
from providers.languages import alpha2

_SPACES = re.compile(r"\s+")


def _normalize(text: str) -> str:
    # One line per text: the pipeline takes a text as one line.
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
        self._datadir = Path(os.environ.get("APERTIUM_DATADIR", "/usr/share/apertium"))
        self._pipelines: dict[str, ModePipeline] = {}

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

        pipeline = self._pipelines.get(mode)
        if pipeline is None:
            pipeline = self._pipelines[mode] = ModePipeline(mode, self._datadir)

        async def batch(lines: list[str]) -> list[str]:
            translated = await pipeline.translate(
                [_normalize(line) for line in lines], self._timeout
            )
            return [_normalize(line) for line in translated]

        return await translate_nonblank(texts, source, target, batch)

    async def aclose(self) -> None:
        """Stop the running pipelines."""
        for pipeline in self._pipelines.values():
            await pipeline.aclose()

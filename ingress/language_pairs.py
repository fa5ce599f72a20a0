"""Which spoken -> shown language pairs the running translator serves, for the extension's config.

The extension and the demo page say so before a session starts when a pair
has no engine (offline, Hebrew has none). The translator is asked once (DeepL:
its `/v3/languages`; Apertium: its installed pairs) and the answer kept for an
hour; when it cannot be asked, every pair is offered and asked again next time.
"""

from __future__ import annotations

import logging
import time

import settings
from ingress.models import LanguagePair
from providers import registry
from providers.base import ProviderError, TranslationPairs

log = logging.getLogger(__name__)

FRESH_S = 3600.0


class ServedPairs:
    """The configured languages' pairs, each marked served or not."""

    def __init__(self, cfg: settings.Settings) -> None:
        self._cfg = cfg
        self._known: frozenset[tuple[str, str]] | None = None
        self._asked_at = 0.0

    async def pairs(self) -> list[LanguagePair]:
        """Every source language with every target language."""
        known = await self._served()
        cfg = self._cfg
        return [
            LanguagePair(
                source=source,
                target=target,
                served=source == target or known is None or (source, target) in known,
            )
            for source in cfg.source_languages
            for target in cfg.supported_languages
        ]

    async def _served(self) -> frozenset[tuple[str, str]] | None:
        if self._known is not None and time.monotonic() - self._asked_at < FRESH_S:
            return self._known
        translator = registry.translator(self._cfg)
        try:
            if not isinstance(translator, TranslationPairs):
                return None  # serves everything (noop)
            self._known = await translator.pairs()
            self._asked_at = time.monotonic()
        except ProviderError as error:
            log.warning("could not ask %s which pairs it serves: %s", translator.name, error)
            return None
        finally:
            await registry.aclose(translator)
        return self._known

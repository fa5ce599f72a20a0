"""Cloud translation: DeepL through its official SDK (`deepl`).

The SDK is synchronous (requests), so each call runs in a thread of the
translator's own pool of `max_concurrency` (asyncio's shared default pool has
a handful: at 50 live sessions, partial subtitles alone queued there for
seconds behind 200 ms round trips), with as many pooled connections. Which
languages DeepL serves comes from `/v3/languages?resource=translate_text`,
its source of truth (the deprecated `/v2/languages` the SDK still reads
never listed Hebrew; SDK 1.32.0 has no call for v3, so it is made through
the SDK's own authenticated client), asked once and kept for an hour as
DeepL advises. A pair it does not list comes back `untranslated`, like the
offline translator; one it refuses is `language_unsupported`. Where DeepL
wants a regional target (EN-US, PT-BR) the configured variant is used, else
the first DeepL lists. Formality goes only to targets that take it.

Retries are ours (`providers.retries`), not the SDK's: the SDK backs off
blindly and drops the response headers, so it is told not to retry and its
session's transport adapter keeps each reply's Retry-After for the thread
that made the call.
The auth key goes only to the SDK; it is never logged or put in a message.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import deepl
import deepl.http_client
import requests
import requests.adapters

from providers.base import ProviderError, Translation
from providers.batches import BoundedTranslator, kept, translate_nonblank
from providers.http_errors import error_for_status, parse_retry_after
from providers.retries import RetryPolicy, with_retries
from wire.errors import ErrorCode

T = TypeVar("T")

log = logging.getLogger(__name__)

# Our retry policy replaces the SDK's (it cannot honour Retry-After).
deepl.http_client.max_network_retries = 0
# DeepL: cache the language list "for up to 1 hour" (new languages appear without notice).
LANGUAGES_TTL_S = 3600.0


class _RetryAfterAdapter(requests.adapters.HTTPAdapter):
    """The SDK session's HTTP adapter, also remembering each thread's last Retry-After."""

    def __init__(self, connections: int) -> None:
        super().__init__(pool_maxsize=connections)
        self._local = threading.local()

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        self._local.value = parse_retry_after(response.headers)
        return response

    def take(self) -> float | None:
        value: float | None = getattr(self._local, "value", None)
        self._local.value = None
        return value


class DeepLTranslator(BoundedTranslator):
    """DeepL for the pairs it serves; the rest come back untranslated."""

    name = "deepl"

    def __init__(
        self,
        auth_key: str,
        *,
        server_url: str | None = None,
        formality: str = "default",
        target_variants: Mapping[str, str] | None = None,
        max_concurrency: int = 32,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not auth_key:
            raise ValueError("DEEPL_AUTH_KEY is not set")
        self._client = deepl.Translator(auth_key, server_url=server_url, send_platform_info=False)
        self._retry_after = _RetryAfterAdapter(max_concurrency)
        self._threads = ThreadPoolExecutor(max_concurrency, thread_name_prefix="deepl")
        # The SDK keeps its requests session private and sends prepared requests
        # (no session hooks run); its transport adapter is how headers reach us.
        for scheme in ("http://", "https://"):
            self._client._client._session.mount(scheme, self._retry_after)
        self._formality = formality
        self._variants = {k.lower(): v.upper() for k, v in (target_variants or {}).items()}
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sources: frozenset[str] | None = None
        self._targets: dict[str, bool] | None = None  # code -> supports formality
        self._languages_at = 0.0
        self._glossaries: dict[tuple[str, str, str], str | None] = {}

    async def aclose(self) -> None:
        """Close the SDK's HTTP session and the threads."""
        self._client.close()  # type: ignore[no-untyped-call]
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One SDK call in a thread, retried per policy, mapped to ProviderError."""

        def attempt_blocking() -> T:
            try:
                return fn(*args, **kwargs)
            except deepl.DeepLException as error:
                raise self._provider_error(error, what) from None

        async def attempt() -> T:
            return await asyncio.get_running_loop().run_in_executor(self._threads, attempt_blocking)

        return await with_retries(attempt, self._retry, budget=self._timeout, what=what)

    def _provider_error(self, error: deepl.DeepLException, what: str) -> ProviderError:
        """Runs in the calling thread, so the hook's Retry-After is this call's."""
        retry_after = self._retry_after.take()
        if isinstance(error, deepl.AuthorizationException):
            return error_for_status(403, what)
        if isinstance(error, deepl.QuotaExceededException):
            return ProviderError(
                ErrorCode.PROVIDER_RATE_LIMITED, f"{what}: quota exceeded", retryable=False
            )
        if isinstance(error, deepl.ConnectionException):
            return error_for_status(None, what)
        if error.http_status_code == 400 and "not supported" in str(error):
            return ProviderError(ErrorCode.LANGUAGE_UNSUPPORTED, f"{what}: {error}")
        return error_for_status(error.http_status_code, what, retry_after)

    async def languages(self) -> tuple[frozenset[str], dict[str, bool]]:
        """Source codes and target codes (with formality support) DeepL translates text in."""
        stale = time.monotonic() - self._languages_at > LANGUAGES_TTL_S
        if self._sources is None or self._targets is None or stale:
            listed = await self._call("deepl languages", self._translate_text_languages)
            self._sources = frozenset(
                lang["lang"].upper() for lang in listed if lang.get("usable_as_source")
            )
            self._targets = {
                lang["lang"].upper(): "formality" in (lang.get("features") or ())
                for lang in listed
                if lang.get("usable_as_target")
            }
            self._languages_at = time.monotonic()
        return self._sources, self._targets

    async def pairs(self) -> frozenset[tuple[str, str]]:
        """Every source DeepL lists with every target (a regional one stands for its language)."""
        sources, targets = await self.languages()
        languages = {code.split("-")[0].lower() for code in targets}
        return frozenset(
            (source.lower(), target)
            for source in sources
            for target in languages
            if source.lower() != target
        )

    def _translate_text_languages(self) -> list[dict[str, Any]]:
        """`GET /v3/languages?resource=translate_text` through the SDK's client (blocking)."""
        client = self._client
        status, content, body = client._api_call(
            "v3/languages", method="GET", params={"resource": "translate_text"}
        )
        client._raise_for_status(status, content, body)
        if not isinstance(body, list):
            raise deepl.DeepLException(
                "unexpected answer from v3/languages", http_status_code=status
            )
        return [
            lang for lang in body if isinstance(lang, dict) and isinstance(lang.get("lang"), str)
        ]

    def _target_code(self, target: str, targets: Mapping[str, bool]) -> str | None:
        base = target.upper()
        candidates = [self._variants.get(target.lower(), base), base]
        candidates += sorted(code for code in targets if code.startswith(base + "-"))
        return next((code for code in candidates if code in targets), None)

    async def _translate(
        self, texts: Sequence[str], source: str, target: str, glossary: str | None
    ) -> list[Translation]:
        sources, targets = await self.languages()
        target_code = self._target_code(target, targets)
        if source.upper() not in sources or target_code is None:
            return kept(texts, source, target)
        options: dict[str, Any] = {"source_lang": source.upper(), "target_lang": target_code}
        if self._formality != "default" and (
            self._formality.startswith("prefer_") or targets[target_code]
        ):
            options["formality"] = self._formality
        if glossary:
            if glossary_id := await self._glossary_id(glossary, source, target):
                options["glossary"] = glossary_id
            else:
                log.warning(
                    "no DeepL glossary %r for %s->%s; translating without", glossary, source, target
                )

        async def batch(lines: list[str]) -> list[str]:
            results = await self._call(
                "deepl translation", self._client.translate_text, lines, **options
            )
            # A list in, a list out (the SDK's return type covers a single text too).
            return [result.text for result in cast(list[deepl.TextResult], results)]

        return await translate_nonblank(texts, source, target, batch)

    async def _glossary_id(self, glossary: str, source: str, target: str) -> str | None:
        """A glossary named by id or by name, for this language pair; None if there is none."""
        key = (glossary, source.lower(), target.lower())
        if key not in self._glossaries:
            listed = await self._call("deepl glossaries", self._client.list_glossaries)
            self._glossaries[key] = next(
                (
                    g.glossary_id
                    for g in listed
                    if glossary in (g.glossary_id, g.name)
                    and (g.source_lang.lower(), g.target_lang.lower()) == key[1:]
                ),
                None,
            )
        return self._glossaries[key]

"""HTTP answers of cloud providers -> the stable provider error codes."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

from providers.base import ProviderError
from wire.errors import ErrorCode


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), if there is one."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def error_for_status(
    status: int | None, what: str, retry_after: float | None = None
) -> ProviderError:
    """Map an HTTP status (None: no answer at all) to a ProviderError.

    401/403 -> provider_auth; 429 -> provider_rate_limited (retryable);
    408, 5xx and no answer -> provider_unavailable (retryable); any other
    status is a request the provider will keep refusing: unavailable, not retried.
    """
    if status in (401, 403):
        return ProviderError(ErrorCode.PROVIDER_AUTH, f"{what}: credentials refused ({status})")
    if status == 429:
        return ProviderError(
            ErrorCode.PROVIDER_RATE_LIMITED, f"{what}: rate limited (429)", retry_after
        )
    if status is None:
        return ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, f"{what}: no answer")
    if status == 408 or status >= 500:
        return ProviderError(
            ErrorCode.PROVIDER_UNAVAILABLE, f"{what}: provider error ({status})", retry_after
        )
    return ProviderError(
        ErrorCode.PROVIDER_UNAVAILABLE, f"{what}: request refused ({status})", retryable=False
    )

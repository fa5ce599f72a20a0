"""No permessage-deflate on our sockets: PCM audio does not compress, so deflate only costs CPU.

Browsers always offer the extension and Hypercorn always accepts it; this
makes Hypercorn decline it instead (the socket then works uncompressed, as the
WebSocket standard requires of both ends).
"""

from __future__ import annotations

from hypercorn.protocol import ws_stream
from wsproto.extensions import PerMessageDeflate


class DeclinedDeflate(PerMessageDeflate):
    """permessage-deflate that never agrees to an offer."""

    def accept(self, offer: str) -> None:
        """Decline: the handshake then agrees on no extension."""
        return None


def decline_compression() -> None:
    """Make Hypercorn's WebSocket handshake decline permessage-deflate (call before serving)."""
    ws_stream.PerMessageDeflate = DeclinedDeflate  # type: ignore[attr-defined]

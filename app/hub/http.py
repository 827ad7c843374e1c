"""The one place that knows which HTTP library huggingface_hub uses underneath.

Hearth's own requests (search, downloads) go through huggingface_hub's shared client,
so they get the same proxy, certificate and offline-mode handling as the library's
calls. That client is an ``httpx2.Client`` in huggingface_hub 2.x; if a future version
changes library, only this module changes.
"""

from __future__ import annotations

import httpx2
from huggingface_hub.errors import OfflineModeIsEnabled
from huggingface_hub.utils import build_hf_headers, get_session

Response = httpx2.Response
Client = httpx2.Client
# Failures where no usable answer came back: the network, not the server, is at fault.
NETWORK_ERRORS: tuple[type[Exception], ...] = (httpx2.TransportError, OfflineModeIsEnabled)


def session() -> httpx2.Client:
    """huggingface_hub's shared client (follows redirects, drops auth on other hosts)."""
    return get_session()


def timeout(read_s: float, connect_s: float) -> httpx2.Timeout:
    """A per-request time limit: ``connect_s`` to connect, ``read_s`` between bytes."""
    return httpx2.Timeout(read_s, connect=connect_s)


def hub_headers(token: str | None) -> dict[str, str]:
    """Headers for a Hub request: user agent, and ``Authorization`` when a token is known.

    ``token=False`` when there is none stops huggingface_hub from reading a token of its
    own; Hearth decides which token to send (see :mod:`app.hub.token`).
    """
    return build_hf_headers(token=token if token else False, library_name="hearth")

"""What the API server binds to and what it allows: safe by default.

Loopback only unless told otherwise; an API key is required whenever the server binds
to any other address; requests must name a host this server answers to (so a web page
cannot reach it through DNS rebinding); browsers' cross-origin requests are refused
unless their origin is listed; bodies and token counts are bounded.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, replace

from app.settings import AppSettings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8642
# Request bodies past this are refused (413): a long chat is far below it.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
# ``max_tokens`` past this is refused (400).
DEFAULT_MAX_TOKENS = 8192
# API requests waiting for the model past this are refused (503).
DEFAULT_QUEUE_LIMIT = 32
# Names every server answers to: the loopback ones.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class ServerConfigError(ValueError):
    """The server cannot start with these settings; the message says why, for the user."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    # More Host header names to answer to (a LAN name, say); "*" turns the check off.
    allowed_hosts: tuple[str, ...] = ()
    # Browser origins allowed to call the API (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_tokens: int = DEFAULT_MAX_TOKENS
    queue_limit: int = DEFAULT_QUEUE_LIMIT
    # Load a model a request names when another one is loaded (LM Studio's "JIT").
    allow_jit_loading: bool = False
    # Store the requests and replies the server handles as chats.
    keep_conversations: bool = False

    def check(self) -> None:
        """Raises :class:`ServerConfigError` for settings that would be unsafe or cannot work."""
        if not 0 <= self.port <= 65535:
            raise ServerConfigError(f"The port must be between 0 and 65535, not {self.port}")
        if not is_loopback(self.host) and not self.api_key:
            raise ServerConfigError(
                f"An API key is required to serve on {self.host}: other computers could"
                " reach it. Give one with --api-key (or HEARTH_API_KEY), or serve on"
                f" {DEFAULT_HOST}."
            )
        if self.api_key is not None and len(self.api_key) < 8:
            raise ServerConfigError("The API key must be at least 8 characters long")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ServerConfigError(f"A CORS origin is a URL like http://host:port: {origin}")

    @property
    def url(self) -> str:
        """The base URL clients use (``.../v1``)."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/v1"

    def host_names(self) -> frozenset[str] | None:
        """The Host header names this server answers to (lower case, no port); None: any."""
        if "*" in self.allowed_hosts:
            return None
        names = {*LOOPBACK_NAMES, *(name.lower() for name in self.allowed_hosts)}
        host = self.host.lower().strip("[]")
        if host in ("0.0.0.0", "::", ""):
            names |= _this_machine_names()
        else:
            names.add(host)
        return frozenset(names)


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _this_machine_names() -> set[str]:
    """This computer's own names and addresses, for a server bound to every interface."""
    names: set[str] = set()
    hostname = socket.gethostname().lower()
    if hostname:
        names |= {hostname, f"{hostname}.local"}
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            for address in addresses:
                if address.family in (socket.AF_INET, socket.AF_INET6):
                    names.add(address.address.split("%")[0].lower())
    except Exception:  # listing interfaces is a nicety; the names above still work
        pass
    return names


# The app-wide settings the server reads and the window writes, by name.
JIT_SETTING = "server_jit_loading"
KEEP_SETTING = "server_keep_conversations"


def with_app_settings(config: ServerConfig, settings: AppSettings) -> ServerConfig:
    """``config`` with the user's choices from Hearth's settings."""
    return replace(
        config,
        allow_jit_loading=settings.server_jit_loading,
        keep_conversations=settings.server_keep_conversations,
    )

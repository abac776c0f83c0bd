"""Logging: console or one JSON object a line, with delivery context and secret redaction.

`LOG_LEVEL` applies to the bot's own loggers (`bot.*`, `rules.*`) only: libraries (aiosqlite,
SQLAlchemy, asyncpg, aiohttp, asyncio) stay at WARNING whatever it says, since their DEBUG output
(1,286 lines of aiosqlite internals in 2 s) buries the lines an operator is looking for.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

delivery_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("delivery_context", default={})

_secrets: set[str] = set()
# Shapes of credentials that may appear in a library's message even if we never registered them.
_CREDENTIAL_SHAPES = re.compile(
    r"(-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|gh[opsu]_[A-Za-z0-9]{20,}|ghs_[A-Za-z0-9]+"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+"
    r"|(?i:(?:token|bearer)\s+)[A-Za-z0-9._-]{16,})",
    re.DOTALL,
)


def register_secret(value: str | None) -> None:
    """Remember a secret (token, key) so that no log line can carry it."""
    if value and len(value) >= 6:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return _CREDENTIAL_SHAPES.sub("[redacted]", text)


class _RedactingFormatter(logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        message = redact(message)
        context = delivery_context.get()
        if self.as_json:
            entry: dict[str, Any] = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": message,
            }
            entry.update(context)
            return json.dumps(entry, default=str)
        prefix = " ".join(f"{k}={v}" for k, v in context.items())
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        return f"{stamp} {record.levelname:<7} {record.name}: {message}" + (f" [{prefix}]" if prefix else "")


OWN_LOGGERS = ("bot", "rules")


class LineLimiter:
    """At most `burst` lines per key in any `window` seconds; the rest are counted, not written.

    Why: a refused webhook is logged so an operator sees a mistyped secret, but a flood of bad
    requests must not fill the disk. The next line written for a key says how many were left out.
    """

    def __init__(self, burst: int = 5, window: float = 60.0, max_keys: int = 64) -> None:
        self.burst = burst
        self.window = window
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, int, int]] = {}  # key -> (window start, written, suppressed)

    def admit(self, key: str, now: float | None = None) -> tuple[bool, int]:
        """(write this line?, how many lines of this key were left out before it)."""
        now = time.monotonic() if now is None else now
        if key not in self._state and len(self._state) >= self.max_keys:
            key = "(other)"  # keys come from a fixed set; this only bounds a mistake
        start, written, suppressed = self._state.get(key, (now, 0, 0))
        if now - start >= self.window:
            start, written = now, 0
        if written < self.burst:
            self._state[key] = (start, written + 1, 0)
            return True, suppressed
        self._state[key] = (start, written, suppressed + 1)
        return False, 0


def configure_logging(level: str = "INFO", fmt: str = "console", secrets: list[str] | None = None) -> None:
    for value in secrets or []:
        register_secret(value)
        # A PEM key may also be logged line by line; register its body lines too.
        for line in value.splitlines():
            if len(line) > 20 and "PRIVATE KEY" not in line:
                register_secret(line)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(as_json=fmt == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Libraries inherit the root's WARNING; only the bot's own loggers follow LOG_LEVEL.
    root.setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)

"""Logging: console or one JSON object a line, with delivery context and secret redaction."""

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
    root.setLevel(level)
    # aiohttp's access log would print every webhook; keep it at warning unless debugging.
    logging.getLogger("aiohttp.access").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)

"""The App's private key, parsed once per process.

Parsing an RSA key checks it, which costs about 35 ms of CPU. `serve` checks the key before it
accepts connections (settings validation), and every JWT after that signs with the key parsed
then, so the first installation token does not parse it on the event loop while the first
webhooks wait.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=4)
def parse_private_key(pem: str) -> Any:
    """The key object PyJWT signs with; raises ValueError (or TypeError) when `pem` is no private key."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem.encode(), password=None)

"""The license_headers rule. `RULE` is loaded when first asked for, so that the local
command (`rules.license_headers.cli`) starts without the bot's HTTP stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rule import LicenseHeadersRule

    RULE: LicenseHeadersRule

__all__ = ["RULE"]


def __getattr__(name: str) -> Any:
    if name != "RULE":
        raise AttributeError(f"module 'rules.license_headers' has no attribute {name!r}")
    from .rule import RULE

    globals()["RULE"] = RULE
    return RULE

"""The license_headers rule."""

from .rule import RULE

__all__ = ["RULE"]

"""The dco rule."""

from .rule import RULE

__all__ = ["RULE"]

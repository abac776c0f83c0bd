"""The rule registry: every rule the engine knows, in the order their outcomes are applied.

Adding a rule: write `rules/<name>.py` with a `Rule` subclass (its own config model,
events, commands and required permissions), then list an instance here.
"""

from __future__ import annotations

from bot.rule import Rule

RULES: list[Rule] = []


def rule_by_name(name: str) -> Rule | None:
    return next((rule for rule in RULES if rule.name == name), None)

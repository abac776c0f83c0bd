"""The rule registry: every rule the engine knows, in the order their outcomes are applied.

Adding a rule: write `rules/<name>.py` with a `Rule` subclass (its own config model,
events, commands and required permissions) and a module-level `RULE` instance, then
list the module here.
"""

from __future__ import annotations

from importlib import import_module

from bot.rule import Rule

RULE_MODULES = ("cla", "license_headers", "onboarding", "triage", "commercial")


def _load() -> list[Rule]:
    loaded: list[Rule] = []
    for name in RULE_MODULES:
        try:
            module = import_module(f"rules.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"rules.{name}":
                continue  # not written yet
            raise
        loaded.append(module.RULE)
    return loaded


RULES: list[Rule] = _load()


def rule_by_name(name: str) -> Rule | None:
    return next((rule for rule in RULES if rule.name == name), None)

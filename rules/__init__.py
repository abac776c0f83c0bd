"""The rule registry: every rule the bot runs, in the order their outcomes are applied.

Adding a rule: write its package `rules/<name>/` (see the README's "Adding a rule"), then
add one line here. Imports are explicit, so a missing module is an import error. They run
when `RULES` is first asked for, not when a package under `rules` is imported: a command
that serves one rule (`headers check`) then starts without loading the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.rule import Rule

    RULES: tuple[Rule, ...]


def __getattr__(name: str) -> Any:
    if name != "RULES":
        raise AttributeError(f"module 'rules' has no attribute {name!r}")
    from rules import cla, commercial, dco, license_headers, onboarding, triage

    registry = (
        cla.RULE,
        license_headers.RULE,
        onboarding.RULE,
        triage.RULE,
        commercial.RULE,
        dco.RULE,
    )
    globals()["RULES"] = registry
    return registry

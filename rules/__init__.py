"""The rule registry: every rule the bot runs, in the order their outcomes are applied.

Adding a rule: write its package `rules/<name>/` (see the README's "Adding a rule"), then
add one line here. Imports are explicit, so a missing module is an import error.
"""

from __future__ import annotations

from bot.rule import Rule
from rules import cla, commercial, dco, license_headers, onboarding, triage

RULES: tuple[Rule, ...] = (
    cla.RULE,
    license_headers.RULE,
    onboarding.RULE,
    triage.RULE,
    commercial.RULE,
    dco.RULE,
)

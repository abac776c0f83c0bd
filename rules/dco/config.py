"""The `dco` section of the rules file (SPEC §3).

Every key has a default, so `dco: {}` turns the rule on and `dco: {enabled: false}` off.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.rule import RuleConfig
from rules.common.logins import check_login_globs


class RemediationCommits(BaseModel):
    """Which later commits may add a missing sign-off without rewriting history (the DCO app's
    "remediation commits")."""

    model_config = ConfigDict(extra="forbid")
    individual: bool = Field(default=False,
                             description="A later commit by the same author may sign off that author's earlier commits.")
    third_party: bool = Field(default=False,
                              description="A later commit by someone else may sign off on the author's behalf.")

    @property
    def any(self) -> bool:
        return self.individual or self.third_party


class DcoConfig(RuleConfig):
    """`dco:` in `.github/governance.yml`."""

    require_for_members: bool = Field(
        default=True, description="false: commits by members of the owning organisation need no sign-off.")
    allow_remediation_commits: RemediationCommits = Field(default_factory=RemediationCommits)
    allowlist: list[str] = Field(default_factory=lambda: ["*[bot]"],
                                 description="Logins whose commits need no sign-off; globs with * and ? only.")

    @field_validator("allowlist")
    @classmethod
    def _allowlist(cls, value: list[str]) -> list[str]:
        return check_login_globs(value)

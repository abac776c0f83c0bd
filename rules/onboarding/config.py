"""`onboarding:` in the rules file: the messages, the label and the mentors."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.labels import stripped_label_name
from bot.rule import RuleConfig
from rules.common.logins import is_login
from rules.onboarding.templates import (
    DEFAULT_FIRST_MERGE,
    DEFAULT_WELCOME_ISSUE,
    DEFAULT_WELCOME_PULL_REQUEST,
    check_template,
)


class OnboardingConfig(RuleConfig):
    """`onboarding:` in `.github/governance.yml`. `onboarding: {}` gives a complete, friendly setup."""

    welcome_issue: str | None = Field(
        default=DEFAULT_WELCOME_ISSUE,
        description="Comment on a contributor's first issue. Placeholders: {author}, {repository}, {contributing}, "
                    "{cla}, {mentor}; a line whose placeholder has no value is left out. Empty: no comment.")
    welcome_pull_request: str | None = Field(
        default=DEFAULT_WELCOME_PULL_REQUEST,
        description="Comment on a contributor's first pull request (same placeholders). Empty: no comment.")
    first_merge: str | None = Field(
        default=DEFAULT_FIRST_MERGE,
        description="Comment on a contributor's first merged pull request (same placeholders). Empty: no comment.")
    label: str | None = Field(default="first-time-contributor",
                              description="Label added to a first issue or pull request. Empty: no label.")
    mentors: list[str] = Field(default_factory=list,
                               description="Logins asked, in turn, to review each first pull request.")

    @field_validator("welcome_issue", "welcome_pull_request", "first_merge")
    @classmethod
    def _templates(cls, value: str | None) -> str | None:
        return check_template(value)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # no label
        return stripped_label_name(value)

    @field_validator("mentors")
    @classmethod
    def _mentors(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for raw in value:
            login = raw.strip().removeprefix("@")
            if "/" in login:
                raise ValueError(f"{raw!r}: mentors are people (GitHub logins), not teams")
            if not is_login(login):
                raise ValueError(f"{raw!r} is not a GitHub login")
            seen.setdefault(login.lower(), login)
        return list(seen.values())

"""The `license_headers` section of the rules file (SPEC §3), validated when it is loaded.

Every licence expression is parsed as SPDX here, so a typo in the rules file is reported
as `license_headers.license: ...` on the `governance/config` status instead of failing
every contributor's pull request with a header nobody can satisfy.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.globs import validate_globs
from bot.rule import RuleConfig

from .core.check import copyright_pattern
from .core.spdx import SpdxError, parse_expression

__all__ = ["DEFAULT_EXCLUDE", "DEFAULT_INCLUDE", "LicenseHeadersConfig", "PathLicense", "validate_license"]

DEFAULT_INCLUDE = ["**/*"]
#: Third-party and build output that is not the contributor's to license.
DEFAULT_EXCLUDE = [
    "**/vendor/**",
    "**/third_party/**",
    "**/third-party/**",
    "**/thirdparty/**",
    "**/node_modules/**",
    "**/*.min.js",
    "**/*.min.css",
]

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def validate_license(value: str) -> str:
    """A valid SPDX expression whose identifiers are all known (or `LicenseRef-`)."""
    text = value.strip()
    parsed = parse_expression(text)
    if isinstance(parsed, SpdxError):
        raise ValueError(f"not a valid SPDX expression: {parsed.reason}")
    if parsed.unknown:
        names = ", ".join(repr(u) for u in parsed.unknown)
        raise ValueError(f"{names} is not on the SPDX licence list (https://spdx.org/licenses/); "
                         "use its SPDX identifier, or LicenseRef-<name> for your own licence")
    return text


class PathLicense(BaseModel):
    """A per-path licence: files matching `match` must declare `license`."""

    model_config = ConfigDict(extra="forbid")
    match: list[str] = Field(description="gitignore-style globs, e.g. ee/**")
    license: str = Field(description="SPDX expression these files must declare")

    @field_validator("match")
    @classmethod
    def _match(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=False)

    @field_validator("license")
    @classmethod
    def _license(cls, value: str) -> str:
        return validate_license(value)


class LicenseHeadersConfig(RuleConfig):
    """The `license_headers` section: which files need which SPDX header."""

    license: str = Field(description="SPDX expression expected in SPDX-License-Identifier, e.g. Apache-2.0")
    copyright: str | None = Field(
        None, description="optional copyright line template; {year} accepts any year, range or list")
    include: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INCLUDE),
        description="gitignore-style globs of files to check; prose (Markdown, reStructuredText, plain text) is "
                    "checked only when a glob names it explicitly, e.g. docs/**/*.md")
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDE),
                               description="gitignore-style globs of files never checked (replaces the default list)")
    paths: list[PathLicense] = Field(default_factory=list,
                                     description="per-path licences; the last matching entry wins")

    @field_validator("license")
    @classmethod
    def _license(cls, value: str) -> str:
        return validate_license(value)

    @field_validator("copyright")
    @classmethod
    def _copyright(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text:
            raise ValueError("cannot be empty (leave the key out to require no copyright line)")
        if "\n" in text or "\r" in text:
            raise ValueError("must be a single line")
        others = [p for p in _PLACEHOLDER.findall(text) if p != "{year}"]
        if others:
            raise ValueError(f"unknown placeholder {others[0]}; only {{year}} is replaced")
        copyright_pattern(text)
        return text

    @field_validator("include")
    @classmethod
    def _include(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=False, require_positive=True, names="files to check")

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=True)

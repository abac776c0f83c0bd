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

from .core.check import copyright_pattern, normalize_notice, notice_pattern
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
NOTICE_MAX_CHARS = 4000


def _placeholders(text: str) -> None:
    others = [p for p in _PLACEHOLDER.findall(text) if p not in ("{year}", "{holder}")]
    if others:
        raise ValueError(f"unknown placeholder {others[0]}; only {{year}} and {{holder}} are replaced")


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
        None, description="optional copyright line template; {year} accepts any year, range or list; {holder} any "
                          "non-empty holder")
    notice: str | None = Field(
        None, description="optional full licence notice (e.g. the ASF header) that declares `license` without an SPDX "
                          "line; matched against the leading comment with comment markers, line breaks, whitespace "
                          "and case ignored; {year} and {holder} as in copyright")
    reuse: bool | None = Field(
        None, description="read licences where the REUSE specification puts them (tags anywhere in a file, .license "
                          "sidecars, REUSE.toml annotations, .reuse/dep5); default: on when the repository has "
                          "REUSE.toml or .reuse/dep5")
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
        _placeholders(text)
        copyright_pattern(text)
        return text

    @field_validator("notice")
    @classmethod
    def _notice(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip("\n")
        if not normalize_notice(text.split("\n")):
            raise ValueError("cannot be empty (leave the key out to require no notice)")
        if len(text) > NOTICE_MAX_CHARS:
            raise ValueError(f"is longer than {NOTICE_MAX_CHARS} characters; a header notice is a few lines")
        _placeholders(text)
        notice_pattern(text)
        return text

    @field_validator("include")
    @classmethod
    def _include(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=False, require_positive=True, names="files to check")

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=True)

"""The `triage:` section of the rules file.

Validators turn every mistake into one `field.path: message` line, e.g.
`triage.keywords.bug.0: invalid regular expression "(a": missing ): (a`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.globs import check_glob
from bot.labels import MAX_LABEL_LENGTH, label_length_ok
from bot.rule import RuleConfig
from rules.triage.keywords import (
    MAX_PATTERN_CHARS,
    MAX_PATTERNS,
    MAX_TOTAL_PATTERN_CHARS,
    PatternError,
    compile_pattern,
)
from rules.triage.size import SIZE_NAMES, SIZE_PREFIX

_COLOR = re.compile(r"#?[0-9a-fA-F]{6}")


def _label_name(name: str) -> str:
    if not name.strip():
        raise ValueError("a label name must not be empty")
    if name != name.strip():
        raise ValueError(f"label {name!r} has leading or trailing spaces")
    if not label_length_ok(name):
        raise ValueError(f"label {name!r} is longer than GitHub's {MAX_LABEL_LENGTH} characters")
    return name


def _pattern(pattern: str) -> str:
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"pattern is {len(pattern)} characters long; at most {MAX_PATTERN_CHARS}")
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc} (patterns use RE2 syntax)") from None
    return pattern


def _color(color: str) -> str:
    if not _COLOR.fullmatch(color):
        raise ValueError(f"colour {color!r} is not six hex digits like \"d73a4a\"")
    return color.lstrip("#").lower()


LabelName = Annotated[str, AfterValidator(_label_name)]
Pattern = Annotated[str, AfterValidator(_pattern)]
Glob = Annotated[str, AfterValidator(check_glob)]
Color = Annotated[str, AfterValidator(_color)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SizeThresholds(_Section):
    """Upper bounds (exclusive) of changed lines for each size; XXL is everything above XL."""

    XS: int = Field(10, gt=0)
    S: int = Field(30, gt=0)
    M: int = Field(100, gt=0)
    L: int = Field(500, gt=0)
    XL: int = Field(1000, gt=0)

    @model_validator(mode="after")
    def _increasing(self) -> "SizeThresholds":
        limits = self.limits()
        for (low_name, low), (high_name, high) in zip(limits, limits[1:]):
            if high <= low:
                raise ValueError(f"{high_name} ({high}) must be larger than {low_name} ({low})")
        return self

    def limits(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in SIZE_NAMES[:-1]]


class CommandsConfig(_Section):
    #: Labels anyone may add or remove with /label and /remove-label; others need triage permission.
    anyone_may_apply: list[LabelName] = Field(default_factory=list)


class TriageConfig(RuleConfig):
    issue_labels: list[LabelName] = Field(default_factory=list, description="added to every new issue")
    keywords: dict[LabelName, list[Pattern]] = Field(
        default_factory=dict, description="label: RE2 regexes searched in a new or edited issue's title and body")
    paths: dict[LabelName, list[Glob]] = Field(
        default_factory=dict, description="label: gitignore-style globs matched on a pull request's changed files")
    sync_path_labels: bool = Field(
        True, description="remove a path label the bot applied once a push no longer touches its paths "
                          "(labels a person added or re-applied stay)")
    size_labels: bool = Field(True, description="one size/XS … size/XXL label per pull request by changed lines")
    size_thresholds: SizeThresholds = Field(default_factory=SizeThresholds)
    size_exclude: list[Glob] = Field(
        default_factory=list, description="globs of files whose lines do not count towards size (besides generated files)")
    commands: CommandsConfig = Field(default_factory=CommandsConfig)
    colors: dict[LabelName, Color] = Field(
        default_factory=dict, description="colours of labels the bot creates when they do not exist yet")

    @field_validator("keywords")
    @classmethod
    def _keyword_budget(cls, keywords: dict[str, list[str]]) -> dict[str, list[str]]:
        """Every new or edited issue runs every pattern: their number and size are bounded."""
        count = sum(len(patterns) for patterns in keywords.values())
        size = sum(len(p) for patterns in keywords.values() for p in patterns)
        if count > MAX_PATTERNS:
            raise ValueError(f"{count} patterns in all; at most {MAX_PATTERNS} (combine them with |)")
        if size > MAX_TOTAL_PATTERN_CHARS:
            raise ValueError(f"the patterns add up to {size} characters; at most {MAX_TOTAL_PATTERN_CHARS}")
        return keywords

    def color_of(self, label: str) -> str | None:
        lowered = label.lower()
        return next((color for name, color in self.colors.items() if name.lower() == lowered), None)

    def anyone_may_apply(self, label: str) -> bool:
        return label.lower() in {name.lower() for name in self.commands.anyone_may_apply}

    def configured_labels(self) -> dict[str, str]:
        """Every label this section names (lower-case → as written): /label may create them."""
        names = [*self.issue_labels, *self.keywords, *self.paths, *self.commands.anyone_may_apply, *self.colors]
        if self.size_labels:
            names += [SIZE_PREFIX + size for size in SIZE_NAMES]
        found: dict[str, str] = {}
        for name in names:
            found.setdefault(name.lower(), name)
        return found

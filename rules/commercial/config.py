"""The `commercial` section of the rules file (SPEC §3 `commercial`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from bot.globs import validate_globs
from bot.labels import stripped_label_name
from bot.rule import RuleConfig
from rules.commercial.boundary import normalize_repo_path
from rules.common.logins import is_login, is_team


class CommercialConfig(RuleConfig):
    """The `commercial` section of the rules file."""

    paths: list[str] = Field(description="gitignore-style globs of commercially licensed code")
    license_url: str = Field(description="the commercial licence, linked from the status and the report")
    maintainers: list[str] = Field(default_factory=list,
                                   description="users and teams (org/team-slug) who may approve; admins and "
                                               "maintainers of the repository always may")
    label: str = Field("commercial", description="added to every pull request touching a commercial path")
    forbid_imports: bool = Field(True, description="open code must not import commercial code")
    import_aliases: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="JavaScript/TypeScript import aliases to repository paths, as in tsconfig `paths` "
                    "(e.g. {'@/*': ['src/*'], '@acme/ee': 'packages/ee'})")
    python_roots: list[str] = Field(default_factory=lambda: [".", "src"],
                                    description="folders absolute Python imports resolve from")

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=False, require_positive=True, example="ee/**",
                              names="commercial paths")

    @field_validator("license_url")
    @classmethod
    def _license_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() or c in '<>"`' for c in value):
            raise ValueError("must be an http(s) URL, e.g. https://example.org/ee-license")
        return value

    @field_validator("maintainers")
    @classmethod
    def _maintainers(cls, value: list[str]) -> list[str]:
        cleaned: list[str] = []
        for entry in value:
            name = entry.strip().removeprefix("@")
            if not (is_login(name) or is_team(name)):
                raise ValueError(f"{entry!r} is neither a GitHub login nor a team written as org/team-slug")
            cleaned.append(name)
        return cleaned

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        return stripped_label_name(value)

    @field_validator("import_aliases")
    @classmethod
    def _aliases(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for key, target in value.items():
            targets = [target] if isinstance(target, str) else target
            if not key.strip():
                raise ValueError("an alias cannot be empty")
            if key.count("*") > 1 or any(t.count("*") > 1 for t in targets):
                raise ValueError(f"{key!r}: at most one `*` per alias and per target")
            if not targets:
                raise ValueError(f"{key!r}: needs at least one target path")
        return value

    @field_validator("python_roots")
    @classmethod
    def _roots(cls, value: list[str]) -> list[str]:
        for root in value:
            if normalize_repo_path(root) is None:
                raise ValueError(f"{root!r} leaves the repository")
        return value

    def users(self) -> set[str]:
        return {m.lower() for m in self.maintainers if "/" not in m}

    def teams(self) -> list[tuple[str, str]]:
        return [tuple(m.split("/", 1)) for m in self.maintainers if "/" in m]  # type: ignore[misc]

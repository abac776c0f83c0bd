"""The rules file: loading from GitHub (repository over organisation defaults), merging, validation.

`.github/governance.yml` is read from the repository's default branch only, so a pull
request that edits it cannot change what is enforced on itself. Sections are validated
by the pydantic model each rule owns; every error becomes one `field.path: message` line.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import cachetools
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

if TYPE_CHECKING:
    import gidgethub.abc

    from bot.rule import Rule

log = logging.getLogger(__name__)

RULES_PATH = ".github/governance.yml"
MAX_RULES_FILE_BYTES = 256 * 1024
MAX_YAML_ALIASES = 64
MAX_YAML_DEPTH = 32  # the deepest section model needs a handful of levels


class RulesFileBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extends: bool = True


_model_cache: dict[tuple[tuple[str, type], ...], type[RulesFileBase]] = {}


def rules_file_model(rules: Sequence["Rule"]) -> type[RulesFileBase]:
    """The whole file's model, assembled from the section models of the rules given."""
    key = tuple((rule.name, rule.config_model) for rule in rules)
    model = _model_cache.get(key)
    if model is None:
        fields: dict[str, Any] = {rule.name: (rule.config_model | None, None) for rule in rules}
        model = create_model("RulesFile", __base__=RulesFileBase, **fields)
        _model_cache[key] = model
    return model


@dataclass
class LoadedConfig:
    """What the engine needs to know about a repository's rules."""

    exists: bool
    rules_file: RulesFileBase | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.exists and not self.errors and self.rules_file is not None

    def section(self, name: str) -> Any | None:
        """The validated section if present and enabled, else None."""
        if self.rules_file is None:
            return None
        value = getattr(self.rules_file, name, None)
        if value is None or not getattr(value, "enabled", True):
            return None
        return value


class RulesFileError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _check_events(text: str, where: str) -> None:
    """Aliases and nesting counted on the event stream (an iterative parser) before the recursive
    composer runs: a file nested hundreds deep would otherwise overflow Python's stack."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise RulesFileError([f"{where}yaml: too many aliases (more than {MAX_YAML_ALIASES})"])
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                mark = event.start_mark
                raise RulesFileError([f"{where}yaml: line {mark.line + 1}, column {mark.column + 1}: "
                                      f"nested deeper than {MAX_YAML_DEPTH} levels"])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def parse_yaml(text: str, source: str = "") -> dict[str, Any]:
    """Safe YAML with a size cap and an alias cap (no billion-laughs)."""
    where = f"{source}: " if source else ""
    if len(text.encode("utf-8", "replace")) > MAX_RULES_FILE_BYTES:
        raise RulesFileError([f"{where}file: larger than {MAX_RULES_FILE_BYTES // 1024} KiB"])
    try:
        _check_events(text, where)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesFileError([f"{where}yaml: {position}{problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RulesFileError([f"{where}file: the top level must be a mapping of sections"])
    return data


def merge(org: dict[str, Any] | None, repo: dict[str, Any] | None) -> dict[str, Any]:
    """Repository over organisation, key by key within each section; lists are replaced."""
    if repo is not None and repo.get("extends") is False:
        return dict(repo)
    merged: dict[str, Any] = dict(org or {})
    merged.pop("extends", None)
    for key, value in (repo or {}).items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = {**base, **value}
        else:
            merged[key] = value
    return merged


def _format_error(error: dict[str, Any]) -> str:
    path = ".".join(str(part) for part in error["loc"]) or "file"
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {message}"


def validate(data: dict[str, Any], rules: Sequence["Rule"]) -> tuple[RulesFileBase | None, list[str]]:
    model = rules_file_model(rules)
    # A section written as `onboarding:` (YAML null) is present: it is on, with defaults.
    normalised = {k: ({} if v is None and k in model.model_fields and k != "extends" else v) for k, v in data.items()}
    try:
        return model.model_validate(normalised), []
    except ValidationError as exc:
        # `enabled: false` is valid on its own (SPEC §3): a section that is off needs none of its
        # required keys. Anything else wrong in it (an unknown key, a wrong type) is still reported.
        off = {k for k, v in normalised.items() if isinstance(v, dict) and v.get("enabled") is False}
        errors = [e for e in exc.errors() if not (e["type"] == "missing" and len(e["loc"]) == 2 and e["loc"][0] in off)]
        if errors:
            return None, [_format_error(e) for e in errors]
    # Only required keys of switched-off sections were missing: those sections are simply absent.
    return model.model_validate({k: v for k, v in normalised.items() if k not in off}), []


def load_text(text: str, rules: Sequence["Rule"]) -> LoadedConfig:
    """Validate one rules file on its own (CLI `config validate`, `--config FILE`)."""
    try:
        data = parse_yaml(text)
    except RulesFileError as exc:
        return LoadedConfig(exists=True, errors=exc.errors)
    rules_file, errors = validate(data, rules)
    return LoadedConfig(exists=True, rules_file=rules_file, errors=errors)


def load_section(text: str, name: str, model: type[BaseModel]) -> tuple[BaseModel | None, list[str]]:
    """One section of a rules file validated on its own, for a command that serves one rule
    and need not import the others: (None, []) when the section is absent. Errors read as
    in :func:`load_text` (`name.field: message`); other sections are not validated."""
    try:
        data = parse_yaml(text)
    except RulesFileError as exc:
        return None, exc.errors
    if name not in data:
        return None, []
    try:
        return model.model_validate({} if data[name] is None else data[name]), []
    except ValidationError as exc:
        return None, [_format_error({**e, "loc": (name, *e["loc"])}) for e in exc.errors()]


# Absent, or not readable by the App (no access, or withheld for legal reasons): no rules file.
_NOT_READABLE = frozenset({404, 403, 451})


async def _fetch(gh: gidgethub.abc.GitHubAPI, repository: str, *, remember_absent: bool = True) -> str | None:
    """The rules file's text on the default branch, None if absent.

    A present file is a conditional GET (ETag-cached, free when unchanged). Without a
    `RulesFileMemory`, an absent one is remembered for a minute by the client (`ABSENT_FILE_TTL`);
    with one, the memory decides when to ask again (`remember_absent=False`).
    """
    # Imported here: validating a file (the CLI) needs no HTTP stack, and start-up time counts there.
    from bot.github import get_if_present

    item = await get_if_present(gh, f"/repos/{repository}/contents/{RULES_PATH}", missing=_NOT_READABLE,
                                remember=remember_absent)
    if not isinstance(item, dict) or item.get("type") != "file":
        return None
    if item.get("size", 0) > MAX_RULES_FILE_BYTES:
        return "\0" * (MAX_RULES_FILE_BYTES + 1)  # reported as too large by parse_yaml
    content = item.get("content") or ""
    return base64.b64decode(content).decode("utf-8", "replace")


class RulesFileSource(Protocol):
    """Where `load` gets a file's text when something remembers them (`bot.rules_memory`)."""

    async def versions(self, repositories: Iterable[str]) -> dict[str, int] | None: ...

    async def read(self, repository: str, versions: dict[str, int] | None,
                   fetch: Callable[[], Awaitable[str | None]]) -> str | None: ...


async def load(gh: gidgethub.abc.GitHubAPI, owner: str, repository: str, rules: Sequence["Rule"], *,
               memory: RulesFileSource | None = None) -> LoadedConfig:
    """The effective rules for `repository` (owner/name): repository file over org defaults."""
    org_repo = f"{owner}/.github"
    versions = await memory.versions([repository, org_repo]) if memory is not None else None

    async def text_of(name: str) -> str | None:
        if memory is None:
            return await _fetch(gh, name)
        return await memory.read(name, versions, lambda: _fetch(gh, name, remember_absent=False))

    repo_text = await text_of(repository)
    org_text = None
    if repository.lower() != org_repo.lower() and (repo_text is None or "extends" not in repo_text or _extends(repo_text)):
        org_text = await text_of(org_repo)
    if repo_text is None and org_text is None:
        return LoadedConfig(exists=False)
    if len(repo_text or "") + len(org_text or "") > PARSED_TEXT_CHARS:  # rare: not worth the memory
        return _parse_and_validate(org_repo, repo_text, org_text, rules)
    key = (tuple((rule.name, rule.config_model) for rule in rules), org_repo, repo_text, org_text)
    loaded = _parsed.get(key)
    if loaded is None:
        loaded = _parsed[key] = _parse_and_validate(org_repo, repo_text, org_text, rules)
    return loaded


# The same texts give the same rules: parsing and validating them again was ~1 ms of CPU per
# delivery. Keyed by the texts themselves, so a changed file is a new entry; the result is shared
# between deliveries and only ever read. Bounded: 256 entries of at most 16 Ki characters of text
# (rules files are usually well under 2 KB), so large files cannot fill memory through it.
PARSED_TEXT_CHARS = 16 * 1024
_parsed: cachetools.LRUCache = cachetools.LRUCache(maxsize=256)


def _parse_and_validate(org_repo: str, repo_text: str | None, org_text: str | None,
                        rules: Sequence["Rule"]) -> LoadedConfig:
    errors: list[str] = []
    repo_data = org_data = None
    try:
        repo_data = parse_yaml(repo_text, RULES_PATH) if repo_text is not None else None
    except RulesFileError as exc:
        errors.extend(exc.errors)
    try:
        org_data = parse_yaml(org_text, f"{org_repo}/{RULES_PATH}") if org_text is not None else None
    except RulesFileError as exc:
        errors.extend(exc.errors)
    if errors:
        return LoadedConfig(exists=True, errors=errors)
    rules_file, errors = validate(merge(org_data, repo_data), rules)
    return LoadedConfig(exists=True, rules_file=rules_file, errors=errors)


def _extends(text: str) -> bool:
    """Whether a repository file inherits org defaults (cheap pre-check to skip the org read)."""
    try:
        data = parse_yaml(text)
    except RulesFileError:
        return True
    return data.get("extends") is not False


def json_schema(rules: Sequence["Rule"]) -> dict[str, Any]:
    return rules_file_model(rules).model_json_schema()

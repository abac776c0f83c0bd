"""What a rule is, and what it returns. Rules decide; the engine writes.

A rule owns one section of the rules file (its `config_model`), declares the events
and commands it reacts to (so `/help` and the README's event list come from one place),
and returns an `Outcome`. It never writes to GitHub itself, which keeps rules testable
without HTTP and makes `replay --dry-run` free.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from bot.context import EventContext
    from bot.dashboard import ActionAnswer, Panel, Scope

StatusState = Literal["success", "failure", "pending", "error"]


class RuleConfig(BaseModel):
    """Base of every rules-file section: unknown keys are errors; `enabled: false` turns it off."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class DetailRow(BaseModel):
    """One file, person, commit or import a verdict is about. Plain text: pages escape it."""

    kind: str  # "file", "person", "commit", "import", "error": a column heading on the page
    subject: str  # the path, login, short SHA, `file:line`
    problem: str  # why it fails (or passes)
    fix: str = ""  # what to do about it, in words
    paste: str = ""  # text to copy as it is (a header, a command), shown verbatim


class FixBlock(BaseModel):
    """Text to copy as it is (a header to paste, the phrase to comment, a command to run)."""

    title: str
    text: str


class DetailLink(BaseModel):
    label: str
    url: str


class VerdictDetails(BaseModel):
    """A rule's full verdict for one head, as the Details page shows it (SPEC §4).

    Rules fill it from what they already computed, so the page is rendered from the stored
    evaluation and never calls GitHub. Everything is plain text; the page escapes it.
    """

    summary: str
    rows: list[DetailRow] = []
    fixes: list[FixBlock] = []
    links: list[DetailLink] = []


@dataclass
class StatusUpdate:
    context: str
    state: StatusState
    description: str
    sha: str | None = None  # default: the pull request's current head
    # A rule's own link; the engine replaces it with the verdict page's when PUBLIC_URL is set.
    target_url: str | None = None
    details: VerdictDetails | None = None  # the full verdict behind the status (None: the description)

    def __post_init__(self) -> None:
        if len(self.description) > 140:
            self.description = self.description[:139] + "…"


@dataclass
class ReportSection:
    """A rule's part of the sticky report comment."""

    title: str
    body: str
    needs_action: bool


@dataclass
class Comment:
    """A separate comment. With a `marker`, it is posted at most once per issue/PR: the body starts
    with the marker (the engine puts it there), and only a comment of the App's own account that
    starts with it counts, so a marker quoted in other text never does."""

    body: str
    marker: str | None = None


@dataclass
class Reevaluate:
    """Ask the engine to evaluate another pull request (queued as its own delivery)."""

    repository: str  # owner/name
    number: int


@dataclass
class Outcome:
    statuses: list[StatusUpdate] = field(default_factory=list)
    report: ReportSection | None = None
    add_labels: list[str] = field(default_factory=list)
    remove_labels: list[str] = field(default_factory=list)
    label_colors: dict[str, str] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    add_assignees: list[str] = field(default_factory=list)
    remove_assignees: list[str] = field(default_factory=list)
    reevaluate: list[Reevaluate] = field(default_factory=list)
    # Run after every write of this event succeeded (e.g. remember a welcome was posted).
    after_apply: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def merge(self, other: "Outcome") -> None:
        """Add `other` into this outcome, field by field: lists are extended, dicts updated.

        Every field is merged by its type, so a field added later cannot be silently dropped;
        `report` is the one exception, as each rule's section is handled by the engine apart.
        """
        for item in fields(self):
            if item.name == "report":
                continue
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, dict):
                mine.update(theirs)
            else:  # a new field of another kind must say how it merges
                raise TypeError(f"Outcome.{item.name}: no merge rule for {type(mine).__name__}")


@dataclass(frozen=True)
class CommandHelp:
    name: str  # "/label"
    usage: str  # "/label NAME…"
    help: str
    who: str  # "triage permission, or anyone for anyone_may_apply labels"


ConfigT = TypeVar("ConfigT", bound=RuleConfig)


class Rule(Generic[ConfigT]):
    """Base class for rules. Subclasses set the class attributes and implement `handle`.

    `Rule[ClaConfig]` types `handle`'s config as the rule's own section model.
    """

    name: ClassVar[str]  # the rules-file section
    config_model: type[ConfigT]
    status_context: ClassVar[str | None] = None  # e.g. "governance/cla"
    # Runs on every evaluation of a pull request (opened, synchronize, /recheck, re-evaluation...).
    evaluates_pull_requests: ClassVar[bool] = False
    # Other events it reacts to, as "event.action" (e.g. "issues.opened", "pull_request.closed").
    events: ClassVar[frozenset[str]] = frozenset()
    commands: ClassVar[tuple[CommandHelp, ...]] = ()
    # GitHub App permissions and webhook events this rule needs (README's registration table).
    permissions: ClassVar[dict[str, str]] = {}
    webhook_events: ClassVar[tuple[str, ...]] = ()

    def wants(self, ctx: "EventContext") -> bool:
        if self.evaluates_pull_requests and ctx.is_pr_evaluation:
            return True
        if ctx.event_key in self.events:
            return True
        names = {c.name for c in self.commands}
        return any(cmd.name in names for cmd in ctx.commands)

    def starts_evaluation(self, ctx: "EventContext", config: ConfigT) -> bool:
        """Whether this event should evaluate the whole pull request (e.g. a CLA signing comment)."""
        return False

    async def handle(self, ctx: "EventContext", config: ConfigT) -> Outcome:
        raise NotImplementedError

    async def dashboard(self, scope: "Scope") -> list["Panel"]:
        """What this rule shows on an installation's dashboard (none by default)."""
        return []

    async def dashboard_export(self, scope: "Scope", panel: str) -> list[dict[str, Any]] | None:
        """The records behind one of this rule's panels, for CSV/JSON export (None: not exportable)."""
        return None

    async def dashboard_action(self, scope: "Scope", panel: str, action: str, key: str,
                               confirmed: bool) -> "ActionAnswer | None":
        """Carry out (or, unconfirmed, describe) a row action of one of this rule's panels."""
        return None

    def add_cli(self, subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
        """Add this rule's own `governance-bot` sub-commands (none by default).

        The CLI sets `args.rules` to the rules it was built with, for commands that read a
        rules file.
        """

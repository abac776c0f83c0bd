"""Licence headers: every file a pull request adds or changes carries the expected SPDX header
(SPEC §3 `license_headers`, §4 `governance/license-headers`, §5 Licence headers, Large pull requests).

Only the PR's own files are judged (removed ones ignored), within `include` / `exclude`,
minus files `.gitattributes` on the default branch marks `linguist-generated` or
`linguist-vendored`. Files are classified by name first, so binaries, JSON, lock files and
prose nobody asked for are never read. An added file's `patch` is its content when GitHub
gives it whole; the rest are read in GraphQL batches (REST when GraphQL cannot). When
GitHub cannot list the complete change, the status fails and says so: a partial view
never passes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from typing import Any

from bot.context import EventContext
from bot.errors import IncompleteData
from bot.rule import Outcome, ReportSection, Rule, StatusUpdate
from rules.common.diff import content_from_patch
from rules.common.repo_files import default_branch_gitattributes
from rules.license_headers.config import LicenseHeadersConfig
from rules.license_headers.core.check import FileVerdict, VerdictKind
from rules.license_headers.core.languages import SkipReason, detect_language
from rules.license_headers.core.policy import HeaderPolicy, Scope
from rules.license_headers.core.reuse import ReuseError, sidecar_path
from rules.license_headers.reads import FileHead, Wanted, base_reuse, read_heads
from rules.license_headers.report import summarize

log = logging.getLogger(__name__)

CONTEXT = "governance/license-headers"
SECTION_TITLE = "Licence headers"
# Statuses of the PR files list whose file exists at the head ("removed" does not;
# "unchanged" is not the contributor's change).
CHECKED_STATUSES = frozenset({"added", "modified", "renamed", "copied", "changed"})
TOO_LARGE = ("This PR changes more files than GitHub can list; split it so every licence header can be checked.")


class LicenseHeadersRule(Rule[LicenseHeadersConfig]):
    name = "license_headers"
    config_model = LicenseHeadersConfig
    status_context = CONTEXT
    evaluates_pull_requests = True
    permissions = {
        "statuses": "write",  # governance/license-headers
        "pull_requests": "read",  # the PR and its files
        "contents": "read",  # file contents (GraphQL, contents, trees, blobs), .gitattributes, rules file, REUSE.toml
        "issues": "write",  # the report comment
        "metadata": "read",
    }
    webhook_events = ("pull_request", "issue_comment")

    async def handle(self, ctx: EventContext, config: LicenseHeadersConfig) -> Outcome:
        if not ctx.is_pr_evaluation:
            return Outcome()
        try:
            files = await ctx.pr_files()
        except IncompleteData as exc:
            log.info("licence headers fail closed on %s#%s: %s", ctx.repo_full_name, ctx.number, exc)
            return Outcome(statuses=[StatusUpdate(CONTEXT, "failure", TOO_LARGE)], report=ReportSection(
                SECTION_TITLE, f"{TOO_LARGE}\n\nGitHub said: {exc}. Nothing was checked, so this status cannot "
                "pass; run `governance-bot headers check` on your checkout to find missing headers.",
                needs_action=True))
        try:
            verdicts = await self.judge_files(ctx, config, files)
        except ReuseError as exc:
            text = (f"The REUSE information on the base branch cannot be read: {exc}. Fix it there (or set "
                    "`license_headers.reuse: false`); no licence header was checked.")
            return Outcome(statuses=[StatusUpdate(CONTEXT, "failure", "The base branch's REUSE.toml or "
                                                  ".reuse/dep5 is invalid; see the report comment.")],
                           report=ReportSection(SECTION_TITLE, text, needs_action=True))
        summary = summarize(verdicts, copyright_template=config.copyright, year=dt.datetime.now(dt.timezone.utc).year,
                            notice=config.notice)
        return Outcome(statuses=[StatusUpdate(CONTEXT, summary.state, summary.description, details=summary.details)],
                       report=ReportSection(SECTION_TITLE, summary.body, needs_action=summary.state != "success"))

    async def judge_files(self, ctx: EventContext, config: LicenseHeadersConfig,
                          files: list[dict[str, Any]]) -> list[FileVerdict]:
        """A verdict for every changed file in scope, reading only the files that need it."""
        touched = [f for f in files if f.get("status", "modified") in CHECKED_STATUSES and f.get("filename")]
        if not touched:
            return []
        pr = await ctx.pull_request()
        attributes = await default_branch_gitattributes(ctx, pr)
        reuse = await base_reuse(ctx, pr, config.reuse)
        policy = HeaderPolicy.from_config(config, attributes, reuse.index if reuse else None)
        changed = {f["filename"]: f.get("status") for f in files if f.get("filename")}
        verdicts: dict[str, FileVerdict] = {}
        to_read: list[tuple[Scope, dict[str, Any]]] = []
        contents: dict[str, str] = {}
        for entry in touched:
            scope = policy.scope(entry["filename"])
            if not scope.in_scope:
                continue
            early = policy.prejudge(scope) or _empty_by_size(scope, entry)
            if early is not None:
                verdicts[scope.path] = early
                continue
            text = content_from_patch(entry.get("patch")) if entry.get("status") == "added" else None
            if text is not None:
                contents[scope.path] = text
            to_read.append((scope, entry))
        missing = [Wanted(scope.path, entry.get("sha")) for scope, entry in to_read if scope.path not in contents]
        sidecars = [sidecar_path(scope.path) for scope, _ in to_read
                    if reuse is not None and reuse.has_sidecar(sidecar_path(scope.path), changed)]
        missing += [Wanted(path) for path in sidecars]
        heads = await read_heads(ctx, await ctx.head_sha(), missing) if missing else {}
        for scope, _entry in to_read:
            text = contents.get(scope.path)
            side = heads.get(sidecar_path(scope.path)) if sidecars else None
            sidecar = side.text if side is not None else None
            verdicts[scope.path] = (policy.judge(scope, text, sidecar) if text is not None
                                    else _verdict_from_head(policy, scope, heads.get(scope.path), sidecar))
        return [verdicts[path] for path in sorted(verdicts)]

    def add_cli(self, subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
        from rules.license_headers.cli import add_cli

        add_cli(subparsers)


def _empty_by_size(scope: Scope, entry: dict[str, Any]) -> FileVerdict | None:
    """The trees API gives sizes: an empty file needs no reading (it holds nothing to license)."""
    if entry.get("size") == 0:
        return FileVerdict(scope.path, VerdictKind.SKIPPED, skip_reason=SkipReason.EMPTY)
    return None


def _verdict_from_head(policy: HeaderPolicy, scope: Scope, head: FileHead | None,
                       sidecar: str | None = None) -> FileVerdict:
    if head is None or head.missing:
        return FileVerdict(scope.path, VerdictKind.SKIPPED, skip_reason=SkipReason.NOT_A_FILE,
                           detail="nothing readable at the head commit (submodule or tree)")
    if head.binary or head.text is None:
        # A file named like source that GitHub calls binary (not UTF-8, NUL bytes) is named
        # as not checked; one whose name says binary is simply skipped.
        reason = SkipReason.UNDECODABLE if detect_language(scope.path) is not None else SkipReason.BINARY
        return FileVerdict(scope.path, VerdictKind.SKIPPED, skip_reason=reason,
                           detail="GitHub reports a binary file")
    return policy.judge(scope, head.text, sidecar)


RULE = LicenseHeadersRule()

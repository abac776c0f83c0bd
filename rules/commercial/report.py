"""What contributors read: the `governance/commercial` status and the Commercial paths
part of the report."""

from __future__ import annotations

from bot.rule import DetailLink, DetailRow, FixBlock, ReportSection, StatusUpdate, VerdictDetails
from bot.markdown import bullets, code_span, link_target, plural

from .config import CommercialConfig
from .evaluation import Evaluation

APPROVE = "/approve-commercial"
CONTEXT = "governance/commercial"
SECTION_TITLE = "Commercial paths"
LIST_CAP = 50  # files / imports listed in the report before "and N more"


def code(text: str) -> str:
    """`text` as an inline code span on one line, whatever backticks it holds (no mention, link or HTML)."""
    return code_span(" ".join(str(text).split("\n")).replace("\r", " "))


def who_may_approve(config: CommercialConfig) -> str:
    people = [code(m) for m in config.maintainers if "/" not in m]
    teams = [f"members of {code(m)}" for m in config.maintainers if "/" in m]
    tail = "anyone with admin or maintain permission on this repository"
    return ", ".join(people + teams) + ", or " + tail if people or teams else tail


def render_section(ev: Evaluation, config: CommercialConfig) -> ReportSection:
    lines: list[str] = []
    if ev.incomplete:
        lines += [f"GitHub could not list every file of this pull request ({ev.incomplete}), so the commercial "
                  "paths cannot be checked and this check fails. Split the pull request into smaller ones.", ""]
    if ev.touched:
        licence = f"[commercial licence]({link_target(config.license_url)})"
        lines += [f"This pull request touches {plural(len(ev.touches), 'file')} in commercial paths, which are "
                  f"licensed under the {licence}, not the project's open-source licence:", ""]
        lines += bullets([f"{code(t.previous)} → {code(t.path)}" if t.previous else code(t.path)
                          for t in ev.touches], LIST_CAP)
        lines.append("")
        if ev.author_is_maintainer:
            lines.append(f"✅ The author, {code(ev.author)}, is a commercial maintainer.")
        elif ev.approval is not None:
            lines.append(f"✅ Approved by {code(ev.approval.approved_by)}.")
        else:
            lines.append(f"A commercial maintainer must approve it by commenting `{APPROVE}` on this pull request.")
        lines += ["", f"Who may approve: {who_may_approve(config)}. An approval holds until a push changes "
                      "the commercial files of this pull request or their contents.", ""]
    if ev.imports:
        lines += ["Open-source code must not import commercial code. Remove these imports "
                  "(an approval does not cover them):", ""]
        lines += bullets([f"{code(f'{i.file}:{i.line}')}: {code(i.statement)} → {code(i.target)}"
                          for i in ev.imports], LIST_CAP)
        lines.append("")
    if ev.unreadable:
        lines += ["GitHub gave no diff for these files and they are too many or too large to read whole, so "
                  "their imports cannot be checked and this check fails. Split the pull request:", ""]
        lines += bullets([code(p) for p in ev.unreadable], LIST_CAP)
        lines.append("")
    if ev.unusable_configs:
        lines += ["These TypeScript configs are beyond what the bot reads, so imports through their aliases "
                  "cannot be checked and this check fails. Simplify them:", ""]
        lines += bullets([f"{code(path)}: {reason}" for path, reason in sorted(ev.unusable_configs.items())],
                         LIST_CAP)
        lines.append("")
    if not lines:
        lines = ["No commercial path touched and no commercial code imported."]
    return ReportSection(SECTION_TITLE, "\n".join(lines).strip(), needs_action=not ev.passes)


def decide_status(ev: Evaluation, config: CommercialConfig) -> StatusUpdate:
    """The status, with every file and import behind it for the Details page."""
    status = _decide(ev, config)
    status.details = details(ev, config, status.description)
    return status


def details(ev: Evaluation, config: CommercialConfig, summary: str) -> VerdictDetails:
    """Plain text (the page escapes it): each commercial file, forbidden import and unreadable file."""
    approvers = who_may_approve(config).replace("`", "")
    if ev.author_is_maintainer:
        covered = f"the author, {ev.author}, is a commercial maintainer"
    elif ev.approval is not None:
        covered = f"approved by {ev.approval.approved_by}"
    else:
        covered = ""
    rows = [DetailRow(kind="file", subject=f"{t.previous} → {t.path}" if t.previous else t.path,
                      problem="in a commercial path" + (f": {covered}" if covered else ": not approved yet"),
                      fix="" if covered else f"a commercial maintainer comments {APPROVE}") for t in ev.touches]
    rows += [DetailRow(kind="import", subject=f"{i.file}:{i.line}", problem=f"{i.statement} imports {i.target}, "
                       "which is commercial code; an approval does not cover it", fix="Remove the import.")
             for i in ev.imports]
    rows += [DetailRow(kind="file", subject=path, problem="GitHub gave no diff, so its imports cannot be checked",
                       fix="Split the pull request.") for path in ev.unreadable]
    rows += [DetailRow(kind="file", subject=path, problem=f"{reason}: its import aliases cannot be read",
                       fix="Simplify it.") for path, reason in sorted(ev.unusable_configs.items())]
    fixes = []
    if ev.touched and not covered:
        fixes.append(FixBlock(title=f"A commercial maintainer ({approvers}) approves by commenting", text=APPROVE))
    links = [DetailLink(label="Commercial licence", url=config.license_url)] if ev.touched else []
    if ev.incomplete:
        rows.insert(0, DetailRow(kind="error", subject="pull request", problem=ev.incomplete,
                                 fix="Split the pull request."))
    return VerdictDetails(summary=summary, rows=rows, fixes=fixes, links=links)


def _decide(ev: Evaluation, config: CommercialConfig) -> StatusUpdate:
    """The status: the first thing to fix comes first (approval cannot cover imports)."""
    link = config.license_url if ev.touched else None
    if ev.incomplete:
        return StatusUpdate(CONTEXT, "failure", "GitHub could not list every changed file, so this cannot be "
                            "checked. Split the pull request.", ev.head_sha)
    if ev.imports:
        first = ev.imports[0]
        more = f" (+{len(ev.imports) - 1} more)" if len(ev.imports) > 1 else ""
        return StatusUpdate(CONTEXT, "failure", f"Open code imports commercial code at {first.file}:{first.line}"
                            f"{more}. Remove the import.", ev.head_sha, link)
    if ev.unreadable:
        return StatusUpdate(CONTEXT, "failure", f"Imports in {plural(len(ev.unreadable), 'file')} without a diff "
                            "from GitHub cannot be checked. Split the pull request.", ev.head_sha, link)
    if ev.unusable_configs:
        path, reason = sorted(ev.unusable_configs.items())[0]
        return StatusUpdate(CONTEXT, "failure", f"{path} is {reason}, so imports through its aliases cannot be "
                            "checked. Simplify it.", ev.head_sha, link)
    if not ev.touched:
        return StatusUpdate(CONTEXT, "success", "No commercial path touched.", ev.head_sha)
    if ev.author_is_maintainer:
        return StatusUpdate(CONTEXT, "success", "Touches commercial paths; the author is a commercial maintainer.",
                            ev.head_sha, link)
    if ev.approval is not None:
        return StatusUpdate(CONTEXT, "success", f"Commercial changes approved by @{ev.approval.approved_by}.",
                            ev.head_sha, link)
    return StatusUpdate(CONTEXT, "failure", f"Touches {plural(len(ev.touches), 'commercial file')}: a commercial "
                        f"maintainer must comment {APPROVE}. Details links the licence.", ev.head_sha, link)

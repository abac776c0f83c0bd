"""What contributors read: the `governance/dco` status and the DCO part of the report.

The status says how many commits lack a sign-off and the command that fixes them. The report
names each commit (short SHA, author, subject) and gives the exact fix: `git commit --amend
--signoff` when only the head commit lacks it, else `git rebase --signoff HEAD~N`, then a
force-push; with remediation commits allowed, the exact commit message the DCO app documents,
per author. Names, emails and subjects are contributor text: in the list they are escaped, in
the copyable blocks they are fenced, flattened to one line and capped.
"""

from __future__ import annotations

from bot.rule import DetailLink, DetailRow, FixBlock, ReportSection, StatusUpdate, VerdictDetails
from bot.markdown import bullets, escape_markdown, fenced, one_line, plural
from rules.common.trailers import Person

from .check import Unsigned, Verdict
from .config import DcoConfig
from .signoff import individual_statement, third_party_statement

STATUS_CONTEXT = "governance/dco"
REPORT_TITLE = "Developer Certificate of Origin"
DCO_URL = "https://developercertificate.org/"
MAX_LISTED = 50
MAX_REMEDIATED = 100  # commits given a remediation line; beyond that, rebasing is the fix
MAX_DESCRIPTION = 140
MAX_NAME_CHARS = 100  # in the list
MAX_BLOCK_NAME_CHARS = 255  # in the copyable blocks, which must reproduce the identity exactly
MAX_EMAIL_CHARS = 320
MAX_SUBJECT_CHARS = 80
PLACEHOLDER = Person("YOUR_NAME", "YOUR_EMAIL")
_REASONS = {"missing": "no sign-off", "someone else": "signed off by someone else, not its author"}


def _fit(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def fix_command(verdict: Verdict) -> str:
    """The git command that adds the missing sign-offs."""
    depth = verdict.rebase_depth
    return "git commit --amend --signoff --no-edit" if depth == 1 else f"git rebase --signoff HEAD~{depth}"


def description(verdict: Verdict) -> str:
    if verdict.incomplete is not None:
        return _fit(f"{verdict.incomplete}, so sign-offs cannot be checked: split the pull request or comment /recheck.")
    if verdict.passed:
        if not verdict.checked:
            return "No commit needs a sign-off (merge commits and allowlisted authors are skipped)."
        return _fit(f"{'The commit carries' if verdict.checked == 1 else f'All {verdict.checked} commits carry'} "
                    "a Signed-off-by from the author.")
    count = len(verdict.unsigned)
    lack = f"{plural(count, 'commit')} {'lacks' if count == 1 else 'lack'} the author's Signed-off-by"
    return _fit(f"{lack}: run {fix_command(verdict)}, then force-push (see the report).")


def status(verdict: Verdict, config: DcoConfig, sha: str | None = None) -> StatusUpdate:
    return StatusUpdate(STATUS_CONTEXT, "success" if verdict.passed else "failure", description(verdict),
                        sha=sha, target_url=DCO_URL, details=details(verdict, config))


def details(verdict: Verdict, config: DcoConfig) -> VerdictDetails:
    """Every commit lacking its sign-off, with the commands and remediation texts (the Details page)."""
    links = [DetailLink(label="Developer Certificate of Origin", url=DCO_URL)]
    if verdict.incomplete is not None:
        return VerdictDetails(summary=description(verdict), links=links, rows=[DetailRow(
            kind="error", subject="pull request", problem=f"{verdict.incomplete}: sign-offs cannot be checked on a "
            "partial view", fix="Split the pull request, or comment /recheck.")])
    if verdict.passed:
        return VerdictDetails(summary=description(verdict), links=links)
    rows = [DetailRow(kind="commit", subject=item.commit.sha[:7],
                      problem=f"{one_line(item.commit.author.name, MAX_NAME_CHARS) or 'unknown'}: "
                              f"{one_line(item.commit.subject, MAX_SUBJECT_CHARS) or '(no subject)'} "
                              f"({_REASONS[item.reason]})",
                      fix="Sign it off (below) and force-push.")
            for item in verdict.unsigned[:MAX_LISTED]]
    fixes = [FixBlock(title="The author adds the sign-off and force-pushes",
                      text=f"{fix_command(verdict)}\ngit push --force-with-lease")]
    remediation = config.allow_remediation_commits
    if remediation.individual:
        fixes += [FixBlock(title="Or the author adds a commit with exactly this message", text=text)
                  for text in _individual_texts(verdict.unsigned)]
    if remediation.third_party:
        fixes += [FixBlock(title="Or someone authorised adds a commit on the author's behalf (their name and email "
                                 "for YOUR_NAME and YOUR_EMAIL)", text=text)
                  for text in _third_party_texts(verdict.unsigned)]
    return VerdictDetails(summary=description(verdict), rows=rows, fixes=fixes, links=links)


def _safe_person(person: Person) -> Person:
    """A git identity as one line of bounded length, for the copyable blocks."""
    return Person(one_line(person.name, MAX_BLOCK_NAME_CHARS) or "unknown", one_line(person.email, MAX_EMAIL_CHARS))


def _line(item: Unsigned) -> str:
    commit = item.commit
    title = escape_markdown(one_line(commit.subject, MAX_SUBJECT_CHARS)) or "(no subject)"
    return (f"`{commit.sha[:7]}` by {escape_markdown(one_line(commit.author.name, MAX_NAME_CHARS)) or 'unknown'}: "
            f"{title} ({_REASONS[item.reason]})")


def _by_author(unsigned: list[Unsigned]) -> dict[Person, list[str]]:
    groups: dict[Person, list[str]] = {}
    for item in unsigned[:MAX_REMEDIATED]:
        groups.setdefault(_safe_person(item.commit.author), []).append(item.commit.sha)
    return groups


def _individual_texts(unsigned: list[Unsigned]) -> list[str]:
    """One remediation commit message per author, in the DCO app's format."""
    return ["\n".join([f"DCO Remediation Commit for {author}", "",
                       *(individual_statement(author, sha) for sha in shas), "", f"Signed-off-by: {author}"])
            for author, shas in _by_author(unsigned).items()]


def _third_party_texts(unsigned: list[Unsigned]) -> list[str]:
    return ["\n".join([f"Third-Party DCO Remediation Commit for {author}", "",
                       *(third_party_statement(author, PLACEHOLDER, sha) for sha in shas), "",
                       f"Signed-off-by: {PLACEHOLDER}"])
            for author, shas in _by_author(unsigned).items()]


def report(verdict: Verdict, config: DcoConfig) -> ReportSection:
    dco = f"[Developer Certificate of Origin]({DCO_URL})"
    if verdict.incomplete is not None:
        return ReportSection(REPORT_TITLE, f"{verdict.incomplete}, so the sign-offs of the {dco} cannot be checked: "
                                           "the bot never passes a pull request on a partial view. Split the pull "
                                           "request into smaller ones, or comment `/recheck` to try again.",
                             needs_action=True)
    if verdict.passed:
        return ReportSection(REPORT_TITLE, f"Every commit carries a `Signed-off-by:` from its author ({dco}).",
                             needs_action=False)
    count = len(verdict.unsigned)
    parts = [f"{plural(count, 'commit')} {'lacks' if count == 1 else 'lack'} a `Signed-off-by:` line from "
             f"{'its author' if count == 1 else 'their authors'}, which certifies the {dco}:",
             "\n".join(bullets([_line(item) for item in verdict.unsigned], MAX_LISTED))]
    authors = {item.commit.author.email.lower() for item in verdict.unsigned}
    who = ("The author" if len(authors) == 1
           else "Each author (git signs off as whoever runs the command, so each author fixes their own commits)")
    parts.append(f"**To fix it**, add the sign-off and force-push. {who} runs, in the branch of this pull request "
                 "(with `user.email` set to the email of the commits):\n\n"
                 + fenced(f"{fix_command(verdict)}\ngit push --force-with-lease", "sh"))
    remediation = config.allow_remediation_commits
    if remediation.any:
        parts.append("Or, without rewriting history, add a commit to this branch whose message is exactly the "
                     "text below (this repository accepts DCO remediation commits).")
        if len(verdict.unsigned) > MAX_REMEDIATED:
            parts.append(f"Only the first {MAX_REMEDIATED} commits are listed below; rebasing fixes them all.")
    if remediation.individual:
        parts.append("**Remediation commit by the author** (authored with that same email):\n\n"
                     + "\n\n".join(fenced(text) for text in _individual_texts(verdict.unsigned)))
    if remediation.third_party:
        parts.append("**Remediation commit by someone else on the author's behalf** (for example their employer; "
                     "only if you are authorised to sign off for them). Replace `YOUR_NAME` and `YOUR_EMAIL` with "
                     "yours, as the commit's author or committer; one commit per author:\n\n"
                     + "\n\n".join(fenced(text) for text in _third_party_texts(verdict.unsigned)))
    return ReportSection(REPORT_TITLE, "\n\n".join(parts), needs_action=True)

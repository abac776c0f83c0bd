"""What contributors read: the `governance/cla` status and the CLA part of the report.

A status description says what to do in at most 140 characters; the report says who must
sign (as @mentions, so they are notified), links the document, and gives the exact phrase
in a fenced block that copies cleanly. Git names are user-controlled text: they are
escaped so a commit cannot inject Markdown, HTML or @mentions into the bot's comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.rule import DetailLink, DetailRow, FixBlock, ReportSection, StatusUpdate, VerdictDetails
from bot.markdown import bullets, escape_markdown, fenced, link_target

from .config import ClaConfig
from .identities import Identity, UnlinkedCommit

STATUS_CONTEXT = "governance/cla"
REPORT_TITLE = "Contributor License Agreement"
MAX_LISTED = 50
MAX_MENTIONS = 5  # @mentions per report: a commit's trailers cannot make the bot notify a crowd
MAX_DESCRIPTION = 140
MAX_ESCAPED = 100  # characters of a name or version shown in running text


@dataclass
class Verdict:
    """The outcome of checking one change."""

    unsigned: list[Identity] = field(default_factory=list)
    unlinked: list[UnlinkedCommit] = field(default_factory=list)
    incomplete: str | None = None  # why the complete change could not be read
    signed: set[int] = field(default_factory=set)  # user ids whose counting signature the check used

    @property
    def passed(self) -> bool:
        return self.incomplete is None and not self.unsigned and not self.unlinked


def _people(identities: list[Identity], budget: int) -> str:
    """'alice', 'alice and bob', 'alice, bob and 3 others', within `budget` characters."""
    logins = [i.login for i in identities]
    for shown in range(len(logins), 0, -1):
        rest = len(logins) - shown
        head = logins[:shown]
        if rest:
            text = f"{', '.join(head)} and {rest} other{'s' if rest != 1 else ''}"
        elif len(head) > 1:
            text = f"{', '.join(head[:-1])} and {head[-1]}"
        else:
            text = head[0]
        if len(text) <= budget:
            return text
    return f"{len(logins)} people"


def _fit(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def description(verdict: Verdict, config: ClaConfig) -> str:
    if verdict.incomplete is not None:
        return _fit(f"{verdict.incomplete}, so the CLA cannot be checked: split the pull request or comment /recheck.")
    if verdict.passed:
        return _fit(f"Everyone involved has signed the CLA (version {config.version}) or is exempt.")
    commits = len({u.sha for u in verdict.unlinked})
    unlinked = (f"{commits} commit{' has' if commits == 1 else 's have'} an email linked to no GitHub account"
                if commits else "")
    if verdict.unsigned and unlinked:
        tail = f" must sign the CLA, and {unlinked}: see the report comment."
        return _fit(_people(verdict.unsigned, MAX_DESCRIPTION - len(tail)) + tail)
    if verdict.unsigned:
        verb = "must" if len(verdict.unsigned) == 1 else "must each"
        tail = f" {verb} sign the CLA: comment the sign phrase from the report on the pull request."
        return _fit(_people(verdict.unsigned, MAX_DESCRIPTION - len(tail)) + tail)
    return _fit(f"{unlinked}: link the email to your GitHub account or amend the commit.")


def status(verdict: Verdict, config: ClaConfig, sha: str | None = None, *, owner_login: str = "",
           web_host: str = "github.com") -> StatusUpdate:
    return StatusUpdate(STATUS_CONTEXT, "success" if verdict.passed else "failure", description(verdict, config),
                        sha=sha, target_url=config.document, details=details(verdict, config, owner_login, web_host))


def _plain_involvement(identity: Identity) -> str:
    """Like `_involvement`, without Markdown (the Details page escapes plain text itself)."""
    return _involvement(identity).replace("`", "")


def details(verdict: Verdict, config: ClaConfig, owner_login: str, web_host: str) -> VerdictDetails:
    """Every person and commit the CLA check found, with the fix for each (the Details page)."""
    links = [DetailLink(label=f"Contributor License Agreement (version {config.version})", url=config.document)]
    if verdict.passed:
        return VerdictDetails(summary=f"Everyone involved has signed the CLA (version {config.version}) or is exempt.",
                              links=links)
    rows: list[DetailRow] = []
    fixes: list[FixBlock] = []
    if verdict.incomplete is not None:
        rows.append(DetailRow(kind="error", subject="pull request", problem=f"{verdict.incomplete}: the CLA cannot "
                              "be checked on a partial view", fix="Split the pull request, or comment /recheck."))
    for identity in verdict.unsigned:
        rows.append(DetailRow(kind="person", subject=f"@{identity.login}", problem=f"has not signed the CLA "
                              f"(version {config.version}); {_plain_involvement(identity)}",
                              fix="Comment the sign phrase below on this pull request."))
    if verdict.unsigned:
        scope = f" (once is enough for every repository of {owner_login})" if owner_login else ""
        fixes.append(FixBlock(title=f"Each person listed signs by commenting exactly this{scope}",
                              text=config.sign_phrase))
    for commit in verdict.unlinked:
        rows.append(DetailRow(kind="commit", subject=commit.sha[:7], problem=f"{_unlinked_role(commit.role)} "
                              f"{commit.name} has an email linked to no GitHub account, so nobody can sign for it",
                              fix=f"Add the email at https://{web_host}/settings/emails and comment /recheck, "
                                  "or amend the commit."))
    if verdict.unlinked:
        fixes.append(FixBlock(title="Amend the last commit to use your account's email, then force-push",
                              text="git commit --amend --reset-author --no-edit\ngit push --force-with-lease"))
    return VerdictDetails(summary=description(verdict, config), rows=rows, fixes=fixes, links=links)


def _person(identity: Identity, mention: bool) -> str:
    """`@login` for the first few (GitHub resolved every one of them), the rest as plain text."""
    return f"@{identity.login}" if mention else escape_markdown(identity.login, limit=MAX_ESCAPED)


def _involvement(identity: Identity) -> str:
    roles = list(identity.roles)
    shas = ", ".join(f"`{sha[:7]}`" for sha in identity.commits[:3])
    more = f" and {len(identity.commits) - 3} more" if len(identity.commits) > 3 else ""
    text = ", ".join(roles)
    if shas and roles != ["author of the pull request"]:
        text += f" of {shas}{more}" if len(roles) == 1 else f"; commits {shas}{more}"
    return text


def report(verdict: Verdict, config: ClaConfig, owner_login: str, web_host: str) -> ReportSection:
    if verdict.passed:
        return ReportSection(REPORT_TITLE, f"Everyone involved has signed the CLA (version {config.version}) "
                                           "or is exempt.", needs_action=False)
    document = f"[Contributor License Agreement]({link_target(config.document)})"
    parts: list[str] = []
    if verdict.incomplete is not None:
        parts.append(f"{verdict.incomplete}, so the {document} cannot be checked: the bot never passes a pull "
                     "request on a partial view. Split the pull request into smaller ones, or comment `/recheck` "
                     "to try again.")
    if verdict.unsigned:
        parts.append(f"Before this can be merged, everyone involved must sign the {document} "
                     f"(version {escape_markdown(config.version, limit=MAX_ESCAPED)}).")
        lines = bullets([f"{_person(i, n < MAX_MENTIONS)} ({_involvement(i)})"
                         for n, i in enumerate(verdict.unsigned)], MAX_LISTED)
        parts.append("**Not signed yet:**\n" + "\n".join(lines))
        parts.append("To sign, each of you comments on this pull request with exactly this text "
                     f"(once is enough for every repository of **{escape_markdown(owner_login, limit=MAX_ESCAPED)}**):\n\n"
                     + fenced(config.sign_phrase))
    if verdict.unlinked:
        lines = bullets([f"`{u.sha[:7]}` by {escape_markdown(u.name, limit=MAX_ESCAPED)} ({_unlinked_role(u.role)})"
                         for u in verdict.unlinked], MAX_LISTED)
        parts.append("**Commits whose email is linked to no GitHub account** (nobody can sign for them):\n"
                     + "\n".join(lines))
        parts.append("Fix each one in one of two ways:\n"
                     f"1. Add the email address to your GitHub account (https://{web_host}/settings/emails), "
                     "then comment `/recheck` here.\n"
                     "2. Or amend the commit so it uses an email your account has: "
                     "`git commit --amend --reset-author --no-edit` for the last commit "
                     "(`git rebase -i` and amend each for older ones; co-authors: fix the `Co-authored-by:` line), "
                     "then force-push.")
    return ReportSection(REPORT_TITLE, "\n\n".join(parts), needs_action=True)


def _unlinked_role(role: str) -> str:
    return {"author": "commit author", "committer": "committer", "co-author": "co-author"}.get(role, role)

"""Which commits lack their author's sign-off: pure, given the commits and what to skip.

A commit passes when one of its `Signed-off-by:` trailers is its author: the same email
(case-insensitive), or a GitHub noreply address of the author's account. The name does not
have to match (display names vary; the email is the identity), so name-and-email matches pass
too. A sign-off naming anyone else, a co-author or the committer included, does not count for
the author. An author whose email GitHub links to no account is matched on the email alone.

With remediation commits allowed, a later commit of the pull request may add the sign-off:
individually, when its own author is the commit's author and it names that author and the
commit's full SHA; or as a third party, when it names the commit's author, the commit's SHA
and, as signer, its own author or committer. Either way the remediation commit must itself be
signed off (by its author, and by the signer it names), and a statement counts only for the
commit and the author it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rules.common.noreply import noreply_login
from rules.common.trailers import Person, subject

from .config import RemediationCommits
from .signoff import Remediation, remediations, sign_offs

Reason = Literal["missing", "someone else"]


@dataclass(frozen=True)
class CommitFacts:
    """What the check needs of one REST commit object."""

    sha: str
    author: Person
    committer: Person
    account: tuple[int | None, str] | None  # the author's GitHub account (id, login), if known
    parents: int
    message: str

    @property
    def is_merge(self) -> bool:
        return self.parents > 1

    @property
    def subject(self) -> str:
        return subject(self.message)


def facts(commit: dict[str, Any], host: str) -> CommitFacts:
    git = commit.get("commit") or {}
    author = git.get("author") or {}
    committer = git.get("committer") or {}
    person = Person(str(author.get("name") or ""), str(author.get("email") or ""))
    linked = commit.get("author")
    account: tuple[int | None, str] | None = None
    if isinstance(linked, dict) and linked.get("login"):
        account = (linked["id"] if isinstance(linked.get("id"), int) else None, str(linked["login"]))
    elif person.email:
        account = noreply_login(person.email, host)
    return CommitFacts(sha=str(commit.get("sha") or ""), author=person,
                       committer=Person(str(committer.get("name") or ""), str(committer.get("email") or "")),
                       account=account, parents=len(commit.get("parents") or []), message=str(git.get("message") or ""))


def is_author(person: Person, commit: CommitFacts, host: str) -> bool:
    """Whether `person` (from a sign-off or a statement) is the commit's author."""
    if person.email and person.email.lower() == commit.author.email.lower():
        return True
    if commit.account is None:
        return False  # an unlinked author: the email alone
    noreply = noreply_login(person.email, host)
    if noreply is None or noreply[1].lower() != commit.account[1].lower():
        return False
    return noreply[0] is None or commit.account[0] is None or noreply[0] == commit.account[0]


def _same_author(one: CommitFacts, other: CommitFacts) -> bool:
    if one.author.email and one.author.email.lower() == other.author.email.lower():
        return True
    return (one.account is not None and other.account is not None and one.account[0] is not None
            and one.account[0] == other.account[0])


def signed_off(commit: CommitFacts, host: str) -> bool:
    return any(is_author(person, commit, host) for person in sign_offs(commit.message))


@dataclass(frozen=True)
class Unsigned:
    commit: CommitFacts
    reason: Reason
    position: int  # index in the pull request's commits, oldest first


@dataclass
class Verdict:
    """The outcome of checking one pull request's (or merge group's) commits."""

    total: int = 0  # commits of the change
    checked: int = 0  # commits that needed a sign-off
    unsigned: list[Unsigned] = field(default_factory=list)
    remediated: int = 0  # commits signed off by a remediation commit
    incomplete: str | None = None  # why the complete change could not be read

    @property
    def passed(self) -> bool:
        return self.incomplete is None and not self.unsigned

    @property
    def rebase_depth(self) -> int:
        """N in `git rebase --signoff HEAD~N`: from the oldest unsigned commit to the head."""
        return self.total - min(u.position for u in self.unsigned) if self.unsigned else 0


def _remediation_statements(commits: list[CommitFacts], allowed: RemediationCommits,
                            host: str) -> dict[str, list[tuple[CommitFacts, Remediation]]]:
    """Target SHA -> (remediation commit, statement) for statements in commits that are themselves signed off."""
    by_target: dict[str, list[tuple[CommitFacts, Remediation]]] = {}
    if not allowed.any:
        return by_target
    for commit in commits:
        if commit.is_merge or not signed_off(commit, host):
            continue
        for statement in remediations(commit.message):
            by_target.setdefault(statement.sha, []).append((commit, statement))
    return by_target


def _remediated(target: CommitFacts, candidates: Iterable[tuple[CommitFacts, Remediation]],
                allowed: RemediationCommits, host: str) -> bool:
    for remediating, statement in candidates:
        if remediating.sha == target.sha:
            continue
        if statement.on_behalf_of is None:
            if (allowed.individual and is_author(statement.signer, target, host)
                    and _same_author(remediating, target)):
                return True
        elif allowed.third_party and is_author(statement.on_behalf_of, target, host):
            signer = statement.signer.email.lower()
            if (signer in (remediating.author.email.lower(), remediating.committer.email.lower())
                    and signer in {p.email.lower() for p in sign_offs(remediating.message)}):
                return True
    return False


def judge(commits: list[CommitFacts], exempt: set[str], allowed: RemediationCommits, host: str) -> Verdict:
    """Check every commit (oldest first) but merge commits and the SHAs in `exempt`."""
    verdict = Verdict(total=len(commits))
    statements = _remediation_statements(commits, allowed, host)
    for position, commit in enumerate(commits):
        if commit.is_merge or commit.sha in exempt:
            continue
        verdict.checked += 1
        found = sign_offs(commit.message)
        if any(is_author(person, commit, host) for person in found):
            continue
        if _remediated(commit, statements.get(commit.sha.lower(), ()), allowed, host):
            verdict.remediated += 1
            continue
        verdict.unsigned.append(Unsigned(commit, "someone else" if found else "missing", position))
    return verdict

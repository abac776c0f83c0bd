"""Who is involved in a change, keyed by GitHub user id.

The people who must have signed are the pull request's author, the GitHub accounts of
every commit's author and committer (GitHub's own `web-flow` committer excluded), and the
`Co-authored-by:` trailers. Identities are keyed by account id, never by login or display
name: a renamed account stays the same person, and writing someone's name into a commit
cannot borrow their signature.

A git identity GitHub links to no account cannot sign; its commit is reported as
*unlinked* with its short SHA and the git name. Co-author emails, noreply addresses
included, are resolved the way GitHub itself does (GraphQL `Commit.authors`): a trailer
is text anyone can write, and `999+somebody@users.noreply...` need not be somebody's.

Commit messages are contributor text: trailers are found by the line scanner of
`rules.common.trailers` (linear in the message) over at most the last 64 KiB of each
message, where git puts its trailers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rules.common.trailers import person_trailers

WEB_FLOW_LOGIN = "web-flow"  # GitHub's committer for web edits, merges and squashes

ROLE_PR_AUTHOR = "author of the pull request"
ROLE_COMMIT_AUTHOR = "commit author"
ROLE_COMMITTER = "committer"
ROLE_CO_AUTHOR = "co-author"

GRAPHQL_BATCH = 50  # commits per GraphQL query (each asks for up to 100 authors)
MAX_AUTHORS_PER_COMMIT = 100

_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass
class Identity:
    """One GitHub account involved in the change, with how it is involved."""

    user_id: int
    login: str
    roles: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)  # full SHAs, in commit order

    def involve(self, role: str, sha: str | None) -> None:
        if role not in self.roles:
            self.roles.append(role)
        if sha and sha not in self.commits:
            self.commits.append(sha)


@dataclass(frozen=True)
class UnlinkedCommit:
    """A commit identity that GitHub links to no account (so nobody can sign for it)."""

    sha: str
    name: str
    role: str  # "author", "committer" or "co-author"


@dataclass(frozen=True)
class PendingCoAuthor:
    """A co-author email that is not a noreply address: GitHub must resolve it."""

    sha: str
    name: str
    email: str


@dataclass
class Involvement:
    identities: dict[int, Identity] = field(default_factory=dict)
    unlinked: list[UnlinkedCommit] = field(default_factory=list)
    pending: list[PendingCoAuthor] = field(default_factory=list)

    def add(self, user_id: int, login: str, role: str, sha: str | None) -> None:
        """Record an account (every login here was read from GitHub's API)."""
        identity = self.identities.get(user_id)
        if identity is None:
            identity = self.identities[user_id] = Identity(user_id, login)
        identity.involve(role, sha)

    def add_unlinked(self, sha: str, name: str, role: str) -> None:
        entry = UnlinkedCommit(sha, name, role)
        if entry not in self.unlinked:
            self.unlinked.append(entry)


def co_author_trailers(message: str | None) -> list[tuple[str, str]]:
    """(name, email) of each `Co-authored-by:` line, in order, one per email."""
    return [(person.name, person.email) for person in person_trailers(message, "co-authored-by")]


def _account(value: Any) -> dict[str, Any] | None:
    """A REST user object, or None when GitHub linked the git identity to no account."""
    if isinstance(value, dict) and isinstance(value.get("id"), int) and value.get("login"):
        return value
    return None


def collect(pr_author: dict[str, Any] | None, commits: list[dict[str, Any]], *, co_authors: bool) -> Involvement:
    """Everyone involved in `commits` (REST commit objects) plus the PR author, without API calls."""
    found = Involvement()
    author = _account(pr_author)
    if author is not None:
        found.add(author["id"], author["login"], ROLE_PR_AUTHOR, None)
    for commit in commits:
        _collect_commit(found, commit, co_authors=co_authors)
    return found


def _collect_commit(found: Involvement, commit: dict[str, Any], *, co_authors: bool) -> None:
    sha = str(commit.get("sha") or "")
    git = commit.get("commit") or {}
    git_author = git.get("author") or {}
    git_committer = git.get("committer") or {}
    author_email = str(git_author.get("email") or "").lower()

    author = _account(commit.get("author"))
    if author is not None:
        found.add(author["id"], author["login"], ROLE_COMMIT_AUTHOR, sha)
    else:
        found.add_unlinked(sha, str(git_author.get("name") or "unknown"), "author")

    committer = _account(commit.get("committer"))
    if committer is not None:
        same_person = author is not None and committer["id"] == author["id"]
        if committer["login"].lower() != WEB_FLOW_LOGIN and not same_person:
            found.add(committer["id"], committer["login"], ROLE_COMMITTER, sha)
    elif str(git_committer.get("email") or "").lower() != author_email:
        # Same email as the author: already reported above. A different one is another person.
        found.add_unlinked(sha, str(git_committer.get("name") or "unknown"), "committer")

    if not co_authors:
        return
    for name, email in co_author_trailers(git.get("message")):
        if email.lower() != author_email:
            found.pending.append(PendingCoAuthor(sha, name or email.split("@")[0], email))


def settle_pending(found: Involvement, resolved: dict[tuple[str, str], tuple[int, str] | None]) -> None:
    """Fold GitHub's answers for pending co-authors in; unresolved ones become unlinked."""
    for pending in found.pending:
        account = resolved.get((pending.sha, pending.email.lower()))
        if account is not None:
            found.add(account[0], account[1], ROLE_CO_AUTHOR, pending.sha)
        else:
            found.add_unlinked(pending.sha, pending.name, "co-author")
    found.pending = []


# -- GraphQL: resolving co-author emails the way GitHub does -------------------------------------

def co_author_query(shas: list[str]) -> tuple[str, dict[str, str]]:
    """One query for the authors of several commits; returns the query and alias → sha."""
    aliases = {f"c{i}": sha for i, sha in enumerate(shas)}
    selections = "\n".join(
        f'    {alias}: object(oid: "{sha}") {{ ... on Commit {{ authors(first: {MAX_AUTHORS_PER_COMMIT}) '
        f'{{ totalCount nodes {{ email user {{ databaseId login }} }} }} }} }}'
        for alias, sha in aliases.items())
    query = ("query($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n"
             f"{selections}\n  }}\n}}")
    return query, aliases


def parse_co_author_answer(data: dict[str, Any] | None, aliases: dict[str, str]) -> dict[tuple[str, str], tuple[int, str]]:
    """(sha, lower email) → (account id, login) for every author GitHub linked to an account."""
    repository = (data or {}).get("repository") or {}
    linked: dict[tuple[str, str], tuple[int, str]] = {}
    for alias, sha in aliases.items():
        commit = repository.get(alias) or {}
        for node in ((commit.get("authors") or {}).get("nodes") or []):
            user = (node or {}).get("user") or {}
            email = (node or {}).get("email")
            if isinstance(user.get("databaseId"), int) and user.get("login") and isinstance(email, str):
                linked[(sha, email.lower())] = (user["databaseId"], user["login"])
    return linked


async def resolve_co_authors(gh: Any, owner: str, name: str,
                             pending: list[PendingCoAuthor]) -> dict[tuple[str, str], tuple[int, str] | None]:
    """Ask GitHub which accounts the pending co-author emails belong to (batched GraphQL)."""
    shas = list(dict.fromkeys(p.sha for p in pending if _SHA.match(p.sha)))
    linked: dict[tuple[str, str], tuple[int, str]] = {}
    for start in range(0, len(shas), GRAPHQL_BATCH):
        query, aliases = co_author_query(shas[start:start + GRAPHQL_BATCH])
        data = await gh.graphql(query, owner=owner, name=name)
        linked.update(parse_co_author_answer(data, aliases))
    return {(p.sha, p.email.lower()): linked.get((p.sha, p.email.lower())) for p in pending}

"""Sign-offs and remediation statements in commit messages, read without any regex.

A sign-off is git's trailer `Signed-off-by: Name <email>`. A remediation statement is the
line the DCO app documents for adding a missing sign-off in a later commit:

    I, Name <email>, hereby add my Signed-off-by to this commit: SHA                     (individual)
    On behalf of Name <email>, I, Name <email>, hereby add my Signed-off-by to this commit: SHA
                                                                                          (third party)

Like the DCO app, the statement is recognised on any line, in any case; the SHA must be the
full 40-hex SHA of the commit (a statement cannot name a commit that does not exist yet, and a
short SHA could name another). Messages are read line by line with string methods over at most
`rules.common.trailers.MAX_MESSAGE_CHARS`, so no message can make this slow.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from rules.common.trailers import MAX_LINE_CHARS, Person, message_lines, parse_person, person_trailers

__all__ = ["Remediation", "individual_statement", "remediations", "sign_offs", "third_party_statement"]

HEREBY = ", hereby add my Signed-off-by to this commit: "
INDIVIDUAL_PREFIX = "I, "
THIRD_PARTY_PREFIX = "On behalf of "
_BETWEEN = ">, i, "  # closes the author's address and opens the signer's in a third-party statement
MAX_STATEMENTS_PER_MESSAGE = 1000
_HEX = frozenset(string.hexdigits)


@dataclass(frozen=True)
class Remediation:
    """`signer` adds a sign-off to commit `sha`; `on_behalf_of` is the author named by a
    third-party statement (None: an individual statement, the signer signs their own commit)."""

    sha: str  # lower-case, 40 hex
    signer: Person
    on_behalf_of: Person | None = None


def sign_offs(message: str | None) -> list[Person]:
    """Every `Signed-off-by:` trailer of the message, one per email, in order."""
    return person_trailers(message, "signed-off-by")


def _full_sha(text: str) -> str | None:
    text = text.strip(" \t")
    return text.lower() if len(text) == 40 and all(char in _HEX for char in text) else None


def _statement(line: str) -> Remediation | None:
    stripped = line.strip(" \t")
    lowered = stripped.lower()
    at = lowered.find(HEREBY.lower())
    if at < 0:
        return None
    sha = _full_sha(stripped[at + len(HEREBY):])
    head, lowered_head = stripped[:at], lowered[:at]
    if sha is None:
        return None
    if lowered_head.startswith(INDIVIDUAL_PREFIX.lower()):
        signer = parse_person(head[len(INDIVIDUAL_PREFIX):])
        return Remediation(sha, signer) if signer is not None else None
    if lowered_head.startswith(THIRD_PARTY_PREFIX.lower()):
        between = lowered_head.find(_BETWEEN, len(THIRD_PARTY_PREFIX))
        if between < 0:
            return None
        author = parse_person(head[len(THIRD_PARTY_PREFIX):between + 1])
        signer = parse_person(head[between + len(_BETWEEN):])
        if author is not None and signer is not None:
            return Remediation(sha, signer, on_behalf_of=author)
    return None


def remediations(message: str | None) -> list[Remediation]:
    """Every remediation statement of the message, in order."""
    found: list[Remediation] = []
    for line in message_lines(message):
        if len(line) > MAX_LINE_CHARS:
            continue
        statement = _statement(line)
        if statement is not None:
            found.append(statement)
            if len(found) >= MAX_STATEMENTS_PER_MESSAGE:
                break
    return found


def individual_statement(author: Person, sha: str) -> str:
    return f"{INDIVIDUAL_PREFIX}{author}{HEREBY}{sha}"


def third_party_statement(author: Person, signer: Person, sha: str) -> str:
    return f"{THIRD_PARTY_PREFIX}{author}, {INDIVIDUAL_PREFIX}{signer}{HEREBY}{sha}"

"""Commit-message lines that name a person: `Signed-off-by: Name <email>`, `Co-authored-by: …`.

Commit messages are contributor text of any size, so they are read line by line with string
methods only (no regex that could backtrack), and only their last `MAX_MESSAGE_CHARS`
characters (where git puts trailers). Like the tools that read them (git's own `--signoff`
check, the DCO app, GitHub's co-author parsing), a trailer is recognised on any line of the
message, its key in any case, whitespace around the colon and the address allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["MAX_MESSAGE_CHARS", "Person", "message_lines", "parse_person", "person_trailers", "subject"]

MAX_MESSAGE_CHARS = 64 * 1024
MAX_LINE_CHARS = 4096  # longer lines hold no trailer anyone wrote by hand
_BLANKS = " \t"


@dataclass(frozen=True)
class Person:
    """A git identity as a trailer writes it. Compare emails case-insensitively."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def message_lines(message: str | None) -> Iterator[str]:
    """The message's lines (without line endings), from its last `MAX_MESSAGE_CHARS` characters."""
    text = (message or "")[-MAX_MESSAGE_CHARS:]
    for line in text.split("\n"):
        yield line.rstrip("\r")


def parse_person(text: str) -> Person | None:
    """`Name <email>` (surrounding blanks ignored): the name holds no angle bracket, the email
    neither nor any whitespace, as git writes identities. None for anything else."""
    text = text.strip(_BLANKS)
    if not text.endswith(">") or len(text) > MAX_LINE_CHARS:
        return None
    opening = text.find("<")
    if opening < 0:
        return None
    name, email = text[:opening].strip(_BLANKS), text[opening + 1:-1]
    if not email or "<" in email or ">" in email or any(char.isspace() for char in email):
        return None
    if ">" in name:
        return None
    return Person(name, email)


def _trailer_value(line: str, key: str) -> str | None:
    """The text after `key:` when `line` is that trailer (key in any case, blanks around it)."""
    stripped = line.lstrip(_BLANKS)
    if len(stripped) <= len(key) or stripped[: len(key)].lower() != key:
        return None
    rest = stripped[len(key):].lstrip(_BLANKS)
    return rest[1:] if rest.startswith(":") else None


def person_trailers(message: str | None, key: str) -> list[Person]:
    """Each `key: Name <email>` line in order (`key` lower-case, e.g. "signed-off-by"), one per email."""
    key = key.lower()
    seen: set[str] = set()
    found: list[Person] = []
    for line in message_lines(message):
        if len(line) > MAX_LINE_CHARS:
            continue
        value = _trailer_value(line, key)
        person = parse_person(value) if value is not None else None
        if person is None or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        found.append(person)
    return found


def subject(message: str | None) -> str:
    """The first line of a commit message."""
    return (message or "").split("\n", 1)[0].rstrip("\r")

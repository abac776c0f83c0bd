"""Commands in comments (SPEC §6): `/name args…` at the start of a line.

Lines inside fenced code blocks, indented code blocks and quotes are not commands,
so a command shown as an example never runs. On an edited comment only the commands
the previous text did not hold are returned.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass

_COMMAND = re.compile(r"^/([a-z][a-z0-9-]{0,39})(?:\s+(.*))?$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MAX_COMMANDS = 20


@dataclass(frozen=True)
class Command:
    name: str  # with the slash: "/label"
    args: tuple[str, ...]
    line: str


def _split_args(text: str) -> tuple[str, ...]:
    """Split like a shell, so `"good first issue"` is one argument; tolerate unbalanced quotes."""
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return tuple(text.replace('"', " ").replace("'", " ").split())


def parse_commands(body: str | None) -> list[Command]:
    if not body:
        return []
    commands: list[Command] = []
    fence: str | None = None
    previous_blank = True
    in_indented_code = False
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        fence_match = _FENCE.match(raw)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        is_blank = not raw.strip()
        indented = raw.startswith("    ") or raw.startswith("\t")
        # An indented code block starts after a blank line and runs until an unindented line.
        in_indented_code = indented and (previous_blank or in_indented_code) if not is_blank else in_indented_code
        previous_blank = is_blank
        if is_blank or in_indented_code or raw.lstrip().startswith(">"):
            continue
        match = _COMMAND.match(raw.strip())
        if match:
            commands.append(Command("/" + match.group(1), _split_args(match.group(2) or ""), raw.strip()))
            if len(commands) >= MAX_COMMANDS:
                break
    return commands


def new_commands(body: str | None, previous_body: str | None) -> list[Command]:
    """Commands in `body` that `previous_body` did not hold (edited comments)."""
    before = Counter(c.line for c in parse_commands(previous_body))
    fresh: list[Command] = []
    for command in parse_commands(body):
        if before[command.line] > 0:
            before[command.line] -= 1
        else:
            fresh.append(command)
    return fresh


ROLE_ORDER = ("none", "read", "triage", "write", "maintain", "admin")


def role_at_least(role: str | None, minimum: str) -> bool:
    role = role or "none"
    if role not in ROLE_ORDER:
        return False
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(minimum)

"""Arguments and replies of the label and assignee commands (pure: no GitHub here).

Replies quote user-written text inside code spans, so a label called `@everyone` or
`<img src=x>` is shown as text, never as a mention or HTML; logins the sender names are
quoted too, so a refused `/assign @someone` does not ping them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.labels import MAX_LABEL_LENGTH, label_length_ok
from rules.common.logins import is_login

#: GitHub logins: letters, digits and single hyphens, at most 39 characters.
#: GitHub allows at most this many assignees on an issue or pull request.
MAX_ASSIGNEES = 10


def code(text: str) -> str:
    """`text` as an inline code span: no Markdown, mentions or HTML take effect inside."""
    flat = " ".join(text.split())[:80].replace("`", "'")
    return f"`{flat}`" if flat else "` `"


def code_list(items: Iterable[str]) -> str:
    return ", ".join(code(item) for item in items)


@dataclass
class LabelArgs:
    names: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def parse_labels(args: Iterable[str]) -> LabelArgs:
    """Label names from command arguments (quoted names arrive as one argument); duplicates dropped."""
    result = LabelArgs()
    seen: set[str] = set()
    for arg in args:
        name = arg.strip()
        if not name:
            continue
        if not label_length_ok(name):
            result.invalid.append(name)
            continue
        if name.lower() not in seen:
            seen.add(name.lower())
            result.names.append(name)
    return result


@dataclass
class UserArgs:
    logins: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def parse_users(args: Iterable[str], sender: str) -> UserArgs:
    """Logins from `/assign @a b`; none means the sender. Duplicates dropped."""
    result = UserArgs()
    seen: set[str] = set()
    for arg in args:
        login = arg.strip().removeprefix("@").rstrip(",")
        if not login:
            continue
        if not is_login(login):
            result.invalid.append(arg)
            continue
        if login.lower() not in seen:
            seen.add(login.lower())
            result.logins.append(login)
    if not result.logins and not result.invalid:
        result.logins.append(sender)
    return result


def same_login(a: str, b: str) -> bool:
    return a.lower() == b.lower()


# -- replies: one short line each, starting with the sender's mention ------------------------

def usage_reply(sender: str, usage: str) -> str:
    return f"@{sender} nothing done: write it as `{usage}`."


def invalid_labels_reply(sender: str, command: str, names: list[str]) -> str:
    return (f"@{sender} `{command}` not run: {code_list(names)} cannot be a label "
            f"(GitHub allows at most {MAX_LABEL_LENGTH} characters).")


def label_permission_reply(sender: str, command: str, restricted: list[str], anyone: list[str]) -> str:
    reply = f"@{sender} `{command}` not run: {code_list(restricted)} needs triage permission on this repository."
    if anyone:
        reply += f" Anyone may use: {code_list(anyone)}."
    return reply


def unknown_labels_reply(sender: str, names: list[str]) -> str:
    return (f"@{sender} `/label` not run: this repository has no label {code_list(names)}. "
            "Check the spelling, or ask a maintainer to create it.")


def invalid_users_reply(sender: str, command: str, names: list[str]) -> str:
    return f"@{sender} `{command}` not run: {code_list(names)} is not a GitHub login."


def assign_others_reply(sender: str, command: str) -> str:
    return (f"@{sender} `{command}` not run: changing other people's assignments needs triage permission "
            f"on this repository; you may `{command}` yourself.")


def not_assignable_reply(sender: str, logins: list[str]) -> str:
    return (f"@{sender} `/assign` not run: GitHub does not accept {code_list(logins)} as an assignee here. "
            "Only collaborators and people who took part in this conversation can be assigned.")


def too_many_assignees_reply(sender: str, current: int) -> str:
    return (f"@{sender} `/assign` not run: GitHub allows at most {MAX_ASSIGNEES} assignees "
            f"and {current} are already assigned.")

"""The onboarding messages: the default templates, checking a template from the rules file,
filling its placeholders (what contributors typed is escaped with `bot.markdown`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from string import Formatter

PLACEHOLDERS = ("author", "repository", "contributing", "cla", "mentor")
MAX_TEMPLATE_CHARS = 20_000  # GitHub takes 65,536 per comment; leave room for values
_BLANK_LINES = re.compile(r"\n{3,}")

DEFAULT_WELCOME_ISSUE = """\
Thanks for opening your first issue in {repository}, @{author}! :wave:

A maintainer will look at it soon. Meanwhile:
- If it is a bug, the version you use, the steps to reproduce it and what you expected help a lot; you can edit the issue to add them.
- The contributing guide explains how the project works and how to propose a fix yourself: {contributing}
- Questions are welcome right here, in a comment on this issue."""

DEFAULT_WELCOME_PULL_REQUEST = """\
Thanks for your first pull request to {repository}, @{author}! :tada:

Next steps:
- The contributing guide says how to set up the project and run the tests locally before you push: {contributing}
- {mentor} is asked to review this pull request and is your contact for questions; anyone else here is happy to help too, just comment.
- The Contributor License Agreement ({cla}) must be signed before this can be merged; if you have not signed it yet, the governance report on this pull request gives the exact phrase to comment.
- Checks run on every push. If one fails, its *Details* link says what to fix; `/recheck` runs the bot's checks again."""

DEFAULT_FIRST_MERGE = """\
Congratulations on your first merged pull request in {repository}, @{author}! :rocket:

Thank you for your contribution. If you want to keep going, issues labelled `good first issue` are a good next step, and the contributing guide has more: {contributing}"""


def template_fields(template: str) -> list[str]:
    """The placeholders a template uses; ValueError with a message for the rules file if malformed."""
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc}; write {{{{ or }}}} for a literal brace") from None
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}"
            raise ValueError(f"unknown placeholder {shown}; use {allowed} (write {{{{ or }}}} for a literal brace)")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format or conversion")
        names.append(name)
    return names


def render(template: str, values: Mapping[str, str | None]) -> str:
    """Fill the placeholders. A line that uses a placeholder without a value (no CLA, no
    mentor) is left out, so templates can say "sign the CLA: {cla}" and read well either way."""
    lines: list[str] = []
    for line in template.split("\n"):
        parts: list[str] = []
        for literal, name, _spec, _conversion in Formatter().parse(line):
            parts.append(literal)
            if name is None:
                continue
            value = values.get(name)
            if value is None:
                break
            parts.append(value)
        else:
            lines.append("".join(parts))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def check_template(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_TEMPLATE_CHARS:
        raise ValueError(f"longer than {MAX_TEMPLATE_CHARS} characters")
    template_fields(value)
    return value if value.strip() else None

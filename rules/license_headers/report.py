"""What contributors read: the status description and the report section's Markdown.

File paths and declared expressions come from the pull request, so they are data: each
is shown in a code span sized to its own backticks (no mention, link or HTML can come
out of it). The header to paste is rendered per file type and licence in a fenced block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.rule import DetailRow, FixBlock, VerdictDetails

from bot.markdown import code_span, plural
from bot.markdown import fenced as fenced_block

from .core.check import FileVerdict, VerdictKind
from .core.fix import header_for
from .core.languages import Language

__all__ = ["LIST_CAP", "Summary", "code", "fenced", "summarize"]

LIST_CAP = 50
FIX_HINT = "Or run `governance-bot headers check --fix` in your checkout to insert them."
_HIGHLIGHT = {
    "C": "c", "C#": "csharp", "C++": "cpp", "CSS": "css", "Dart": "dart", "Dockerfile": "dockerfile", "Go": "go",
    "Groovy": "groovy", "Haskell": "haskell", "HTML": "html", "Java": "java", "JavaScript": "javascript",
    "Kotlin": "kotlin", "Lua": "lua", "Makefile": "makefile", "Markdown": "markdown", "Objective-C": "objectivec",
    "Perl": "perl", "PHP": "php", "PowerShell": "powershell", "Python": "python", "R": "r", "Ruby": "ruby",
    "Rust": "rust", "Scala": "scala", "SCSS": "scss", "Shell": "sh", "SQL": "sql", "Swift": "swift", "TOML": "toml",
    "TypeScript": "typescript", "Vue": "vue", "XML": "xml", "YAML": "yaml",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def code(text: str, limit: int = 200) -> str:
    """`text` as an inline code span whatever it contains (control characters shown as `?`)."""
    text = _CONTROL.sub("?", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return code_span(text)


def fenced(text: str, info: str = "") -> str:
    """A fenced block of `text` without its trailing line breaks."""
    return fenced_block(text.rstrip("\n"), info)


def _as_is(text: str) -> str:
    return text


def describe(verdict: FileVerdict, copyright_template: str | None, code: Callable[[str], str] = code) -> str:
    """Why one file fails, in a few words (`code` quotes the file's own text: Markdown, or as is)."""
    if verdict.kind is VerdictKind.WRONG_LICENSE:
        text = f"declares {code(verdict.declared or '')}, expected {code(verdict.expected or '')}"
        if verdict.detail:  # quotes the declared text (`'<img …>' is not a valid licence identifier`): data
            text += f" ({code(verdict.detail)})"
        return text
    if verdict.kind is VerdictKind.MISSING_COPYRIGHT:
        return f"no copyright line matching {code(copyright_template or '')} (any year, any holder for {{holder}})"
    return f"missing header: no {code('SPDX-License-Identifier: ' + (verdict.expected or ''))} in its first comment block"


@dataclass(frozen=True)
class Summary:
    state: str  # "success" or "failure"
    description: str
    body: str
    failures: int
    details: VerdictDetails = field(default_factory=lambda: VerdictDetails(summary=""))


def summarize(verdicts: Sequence[FileVerdict], *, copyright_template: str | None, year: int,
              notice: str | None = None) -> Summary:
    """Status and report section for the judged files (skipped ones included)."""
    failing = [v for v in verdicts if not v.passed]
    checked = sum(1 for v in verdicts if v.kind is not VerdictKind.SKIPPED)
    unchecked = _not_checked(verdicts)
    if not failing:
        if checked == 1:
            text = "The one file checked carries the expected licence header."
        elif checked:
            text = f"All {checked} files checked carry the expected licence header."
        else:
            text = "No changed file needs a licence header."
        skipped = sum(1 for v in verdicts if v.not_checked)
        description = text if not skipped else (
            f"{text[:-1]}; {plural(skipped, 'file')} in scope could not be checked (see details).")
        return Summary("success", description, text + unchecked, 0,
                       VerdictDetails(summary=description, rows=_skipped_rows(verdicts)))
    description = _failure_description(failing)
    return Summary("failure", description,
                   _failure_body(failing, checked, copyright_template, year, notice) + unchecked, len(failing),
                   _failure_details(description, failing, verdicts, copyright_template, year, notice))


def _skipped_rows(verdicts: Sequence[FileVerdict]) -> list[DetailRow]:
    """Skipped files; those in scope that could not be checked say so first."""
    ordered = sorted((v for v in verdicts if v.kind is VerdictKind.SKIPPED), key=lambda v: not v.not_checked)
    return [DetailRow(kind="not checked" if v.not_checked else "skipped file", subject=v.path, problem=v.message)
            for v in ordered]


def _failure_details(description: str, failing: Sequence[FileVerdict], verdicts: Sequence[FileVerdict],
                     copyright_template: str | None, year: int, notice: str | None = None) -> VerdictDetails:
    """Every failing file with the exact header for it (the Details page; plain text, escaped there)."""
    rows = []
    for verdict in failing:
        header, fix = "", ""
        if verdict.language is not None and verdict.expected is not None:
            header = header_for(verdict.language, verdict.expected, copyright_template, year,
                                notice=notice).rstrip("\n")
            fix = f"Put this {verdict.language.name} header at the top of the file:"
        rows.append(DetailRow(kind="file", subject=verdict.path, problem=describe(verdict, copyright_template, _as_is),
                              fix=fix, paste=header))
    fixes = [FixBlock(title="Or insert every missing header at once, in your checkout",
                      text="governance-bot headers check --fix")]
    return VerdictDetails(summary=description, rows=rows + _skipped_rows(verdicts), fixes=fixes)


def _not_checked(verdicts: Sequence[FileVerdict]) -> str:
    """A paragraph naming the files in scope that could not be checked, and why."""
    skipped = [v for v in verdicts if v.not_checked]
    if not skipped:
        return ""
    pronoun = "its" if len(skipped) == 1 else "their"
    lines = ["", "", f"{plural(len(skipped), 'file')} in scope could not be checked "
                     f"(review {pronoun} licence by hand):", ""]
    for verdict in skipped[:LIST_CAP]:
        reason = verdict.skip_reason.value if verdict.skip_reason else "not checked"
        lines.append(f"- {code(verdict.path)}: {reason}" + (f" ({verdict.detail})" if verdict.detail else ""))
    if len(skipped) > LIST_CAP:
        lines.append(f"- and {len(skipped) - LIST_CAP} more")
    return "\n".join(lines)


def _failure_description(failing: Sequence[FileVerdict]) -> str:
    n = len(failing)
    verb = "needs" if n == 1 else "need"
    return f"{plural(n, 'file')} {verb} a licence header fix: paste the header shown in the report comment."


def _failure_body(failing: Sequence[FileVerdict], checked: int, copyright_template: str | None, year: int,
                  notice: str | None = None) -> str:
    lines = [f"{plural(len(failing), 'file')} of the {checked} checked in this pull request "
             f"{'lacks' if len(failing) == 1 else 'lack'} the expected licence header:", ""]
    for verdict in failing[:LIST_CAP]:
        lines.append(f"- {code(verdict.path)}: {describe(verdict, copyright_template)}")
    if len(failing) > LIST_CAP:
        lines.append(f"- and {len(failing) - LIST_CAP} more")
    lines += ["", "Put this header at the top of each file (after a shebang, encoding line, XML declaration or "
                  "similar line that has to stay first):", ""]
    groups: dict[tuple[str, str], list[FileVerdict]] = {}
    languages: dict[str, Language] = {}
    for verdict in failing:
        if verdict.language is None or verdict.expected is None:
            continue
        languages[verdict.language.name] = verdict.language
        groups.setdefault((verdict.language.name, verdict.expected), []).append(verdict)
    for (name, license), members in groups.items():
        language = languages[name]
        example = code(members[0].path)
        more = f" and {plural(len(members) - 1, 'other')}" if len(members) > 1 else ""
        lines.append(f"**{name}** files licensed {code(license)} ({example}{more}):")
        lines.append("")
        lines.append(fenced(header_for(language, license, copyright_template, year, notice=notice),
                            _HIGHLIGHT.get(name, "")))
        lines.append("")
    lines.append(FIX_HINT)
    return "\n".join(lines)

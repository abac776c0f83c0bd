"""`governance-bot headers check [PATH...] [--config FILE] [--fix]` (SPEC §1).

The bot's licence-header rule on a local checkout, with the same rules file section,
scope (`include`, `exclude`, `paths`, root `.gitattributes`) and verdicts. Without
paths it checks the files git tracks; a directory stands for the files under it that
git tracks or would track (untracked but not ignored). One line per problem on stdout,
exit 1 if there is any; `--fix` inserts or corrects headers in place and exits 0 once
every file is right. Exit 2 means the command could not run (no rules file, bad path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.rule import Rule
from rules.common.gitattributes import GitAttributes, parse_gitattributes

from .core.check import FileVerdict, VerdictKind
from .core.fix import header_for, insert_header
from .core.policy import HeaderPolicy, Scope

__all__ = ["add_cli", "cmd_check"]

RULES_PATH = ".github/governance.yml"
SECTION = "license_headers"
READ_LIMIT = 64 * 1024  # a check reads the top of a file only; a fix reads it all


class UsageError(Exception):
    """The command cannot run as asked (exit 2)."""


def add_cli(subparsers: Any) -> None:
    headers = subparsers.add_parser("headers", help="licence headers on a local checkout")
    sub = headers.add_subparsers(dest="headers_command", required=True)
    check = sub.add_parser(
        "check", help="check (or --fix) licence headers of local files",
        description="Check that files carry the SPDX licence header the rules file's license_headers section "
                    "asks for. Exit 0 when all do, 1 with one line per problem, 2 when the check cannot run.")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files or directories to check (default: every file git tracks)")
    check.add_argument("--config", metavar="FILE",
                       help=f"rules file to read (default: {RULES_PATH} at the top of the git repository)")
    check.add_argument("--fix", action="store_true", help="insert or correct the headers in place")
    check.set_defaults(func=cmd_check)


@dataclass(frozen=True)
class LocalFile:
    path: Path  # on disk
    rel: str  # relative to the repository root, with "/"


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True).stdout


def git_toplevel(cwd: Path) -> Path | None:
    try:
        out = subprocess.run(["git", "-C", str(cwd), "rev-parse", "--show-toplevel"], check=True,
                             capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out) if out else None


def _split_z(data: bytes) -> list[str]:
    return [os.fsdecode(p) for p in data.split(b"\0") if p]


def load_policy(config_path: Path, root: Path, rules: Sequence[Rule]) -> HeaderPolicy | None:
    """The policy from the rules file's section (None when it is switched off)."""
    from bot.config import load_text

    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no rules file at {config_path} (give one with --config)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {config_path}: {exc}") from None
    loaded = load_text(text, rules)
    if loaded.errors or loaded.rules_file is None:
        raise UsageError(f"{config_path} is invalid:\n" + "\n".join(f"  {e}" for e in loaded.errors))
    section = getattr(loaded.rules_file, SECTION, None)
    if section is None:
        raise UsageError(f"{config_path} has no {SECTION} section")
    if not section.enabled:
        return None
    attributes = _gitattributes(root)
    return HeaderPolicy.from_config(section, attributes)


def _gitattributes(root: Path) -> GitAttributes | None:
    path = root / ".gitattributes"
    try:
        return parse_gitattributes(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def collect(paths: list[str], cwd: Path, root: Path, in_git: bool) -> list[LocalFile]:
    """The regular files to check, each with its repository-relative path."""
    rels: list[str] = []
    if not paths:
        if not in_git:
            raise UsageError("not inside a git repository: name the files or directories to check")
        rels = _split_z(_git(root, "ls-files", "-z"))
    for given in paths:
        absolute = Path(os.path.abspath(cwd / given))
        if not absolute.exists() and not absolute.is_symlink():
            raise UsageError(f"{given}: no such file or directory")
        rel = os.path.relpath(absolute, root)
        if rel == ".." or rel.startswith(".." + os.sep):
            raise UsageError(f"{given}: outside the repository at {root}")
        rel = "" if rel == "." else Path(rel).as_posix()
        if absolute.is_dir() and not absolute.is_symlink():
            rels.extend(_files_under(root, rel, in_git))
        else:
            rels.append(rel)
    out: dict[str, LocalFile] = {}
    for rel in rels:
        path = root / rel
        if path.is_symlink() or not path.is_file() or rel.startswith(".git/"):
            continue  # symlinks, submodules and files deleted from the work tree
        out.setdefault(rel, LocalFile(path, rel))
    return [out[rel] for rel in sorted(out)]


def _files_under(root: Path, rel: str, in_git: bool) -> list[str]:
    if in_git:
        args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        return _split_z(_git(root, *args, "--", rel or "."))
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root / rel):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            found.append(Path(os.path.relpath(Path(directory) / name, root)).as_posix())
    return found


def problem_text(verdict: FileVerdict, copyright_template: str | None) -> str:
    if verdict.kind is VerdictKind.WRONG_LICENSE:
        extra = f" ({verdict.detail})" if verdict.detail else ""
        return f"declares {verdict.declared}, expected {verdict.expected}{extra}"
    if verdict.kind is VerdictKind.MISSING_COPYRIGHT:
        return f"no copyright line matching '{copyright_template}'"
    return f"missing header (SPDX-License-Identifier: {verdict.expected})"


def fix_text(verdict: FileVerdict) -> str:
    if verdict.kind is VerdictKind.WRONG_LICENSE:
        return f"fixed: licence {verdict.declared} corrected to {verdict.expected}"
    if verdict.kind is VerdictKind.MISSING_COPYRIGHT:
        return "fixed: copyright line added"
    return "fixed: header inserted"


def _read(path: Path, limit: int | None) -> bytes:
    with open(path, "rb") as handle:
        return handle.read() if limit is None else handle.read(limit)


def _fix(policy: HeaderPolicy, scope: Scope, verdict: FileVerdict, file: LocalFile, year: int) -> FileVerdict:
    """Fix one file in place; the verdict on the result (still failing if the fix could not help)."""
    assert verdict.language is not None and scope.license is not None
    content = _read(file.path, None)
    header = header_for(verdict.language, scope.license, policy.copyright, year)
    fixed = insert_header(content, verdict.language, header, copyright_template=policy.copyright)
    after = policy.judge(scope, fixed)
    if after.passed and fixed != content:
        file.path.write_bytes(fixed)
    return after


def cmd_check(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    top = git_toplevel(cwd)
    root = top or cwd
    config_path = Path(args.config) if args.config else root / RULES_PATH
    try:
        policy = load_policy(config_path, root, args.rules)
        if policy is None:
            print(f"{SECTION} is disabled in {config_path}; nothing to check", file=sys.stderr)
            return 0
        files = collect(list(args.paths), cwd, root, top is not None)
    except UsageError as exc:
        print(f"governance-bot: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"governance-bot: git failed: {exc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
        return 2
    year = dt.datetime.now(dt.timezone.utc).year
    checked = problems = fixed = 0
    for file in files:
        scope = policy.scope(file.rel)
        if not scope.in_scope or policy.prejudge(scope) is not None:
            continue
        try:
            verdict = policy.judge(scope, _read(file.path, READ_LIMIT))
        except OSError as exc:
            print(f"{_display(file, cwd)}: cannot read: {exc}")
            problems += 1
            continue
        if verdict.kind is VerdictKind.SKIPPED:
            continue
        checked += 1
        if verdict.passed:
            continue
        if args.fix:
            after = _fix(policy, scope, verdict, file, year)
            if after.passed:
                fixed += 1
                print(f"{_display(file, cwd)}: {fix_text(verdict)}")
                continue
            verdict = after
        problems += 1
        print(f"{_display(file, cwd)}: {problem_text(verdict, policy.copyright)}")
    _summary(checked, problems, fixed)
    return 1 if problems else 0


def _display(file: LocalFile, cwd: Path) -> str:
    return Path(os.path.relpath(file.path, cwd)).as_posix()


def _summary(checked: int, problems: int, fixed: int) -> None:
    parts = [f"{checked} file{'s' if checked != 1 else ''} checked"]
    if fixed:
        parts.append(f"{fixed} fixed")
    parts.append(f"{problems} problem{'s' if problems != 1 else ''}")
    print(", ".join(parts), file=sys.stderr)

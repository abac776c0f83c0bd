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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rules.common.gitattributes import GitAttributes, parse_gitattributes

from .config import LicenseHeadersConfig
from .core.check import FileVerdict, VerdictKind
from .core.fix import FixRefused, header_for, insert_header
from .core.languages import BINARY_SNIFF_BYTES, classify
from .core.policy import HeaderPolicy, Scope, printable_path, reuse_enabled
from .core.reuse import DEP5_PATH, ReuseError, ReuseIndex, toml_paths

__all__ = ["add_cli", "cmd_check", "main"]

RULES_PATH = ".github/governance.yml"
SECTION = "license_headers"
READ_LIMIT = 64 * 1024  # a check reads the top of a file only; a fix reads it all


class UsageError(Exception):
    """The command cannot run as asked (exit 2)."""


def main(argv: Sequence[str]) -> int:
    """`governance-bot headers ...` on its own (bot/cli.py's fast path): only this rule's
    modules are loaded, so a run on a small repository is not dominated by start-up."""
    parser = argparse.ArgumentParser(prog="governance-bot")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args) or 0)


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
    check.add_argument("--verbose", "-v", action="store_true",
                       help="also list (on stderr) the files in scope that could not be checked, and why")
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


def load_policy(config_path: Path, root: Path, repo_files: Sequence[str] = ()) -> HeaderPolicy | None:
    """The policy from the rules file's section (None when it is switched off). Only the
    `license_headers` section is validated (`config validate` checks the whole file)."""
    from bot.config import load_section

    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no rules file at {config_path} (give one with --config)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {config_path}: {exc}") from None
    section, errors = load_section(text, SECTION, LicenseHeadersConfig)
    if errors:
        raise UsageError(f"{config_path} is invalid:\n" + "\n".join(f"  {e}" for e in errors))
    if section is None:
        raise UsageError(f"{config_path} has no {SECTION} section")
    assert isinstance(section, LicenseHeadersConfig)
    if not section.enabled:
        return None
    attributes = _gitattributes(root)
    return HeaderPolicy.from_config(section, attributes, _reuse_index(section.reuse, root, repo_files))


def _reuse_index(configured: bool | None, root: Path, repo_files: Sequence[str]) -> ReuseIndex | None:
    """The work tree's REUSE.toml files and .reuse/dep5 when REUSE is on (None when off)."""
    tomls = [p for p in toml_paths(repo_files) if not p.startswith("LICENSES/")]
    dep5 = DEP5_PATH if (root / DEP5_PATH).is_file() else None
    if not reuse_enabled(configured, bool(tomls or dep5)):
        return None
    try:
        texts = {p: (root / p).read_text(encoding="utf-8") for p in tomls if (root / p).is_file()}
        dep5_text = (root / dep5).read_text(encoding="utf-8") if dep5 else None
        return ReuseIndex.parse(texts, dep5_text)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the REUSE information: {exc}") from None
    except ReuseError as exc:
        raise UsageError(str(exc)) from None


def _gitattributes(root: Path) -> GitAttributes | None:
    path = root / ".gitattributes"
    try:
        return parse_gitattributes(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def collect(paths: list[str], cwd: Path, root: Path, in_git: bool,
            tracked: list[str] | None = None) -> list[LocalFile]:
    """The regular files to check, each with its repository-relative path."""
    rels: list[str] = []
    if not paths:
        if not in_git:
            raise UsageError("not inside a git repository: name the files or directories to check")
        rels = tracked if tracked is not None else _split_z(_git(root, "ls-files", "-z"))
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
    real_root = root.resolve()
    for rel in rels:
        path = root / rel
        if path.is_symlink() or not path.is_file() or rel.startswith(".git/"):
            continue  # symlinks, submodules and files deleted from the work tree
        real = path.resolve()
        if real != real_root and real_root not in real.parents:
            # `link/x.py` through a symlinked folder: --fix would write outside the checkout.
            raise UsageError(f"{rel}: resolves to {real}, outside the repository at {root}")
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
    if verdict.kind is VerdictKind.MISSING_HEADER and verdict.detail:
        return f"missing licence (SPDX-License-Identifier: {verdict.expected}; {verdict.detail})"
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


def _write(path: Path, content: bytes) -> None:
    """Rewrite a checked file in place, never through a symbolic link (O_NOFOLLOW)."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _read(path: Path, limit: int | None) -> bytes:
    with open(path, "rb") as handle:
        return handle.read() if limit is None else handle.read(limit)


def _style(verdict: FileVerdict, content: bytes) -> str | None:
    """"line" or "block": how a recognised header is written (its SPDX line, else its
    first comment line, as for a notice)."""
    info, language = verdict.header, verdict.language
    if info is None or language is None or not (info.licenses or info.comments):
        return None
    tag = info.licenses[0] if info.licenses else info.comments[0]
    lines = content.decode("utf-8", "surrogateescape").lstrip("\ufeff").split("\n")
    if tag.line >= len(lines):
        return None
    raw = lines[tag.line]
    stripped = raw.lstrip()
    if any(t and stripped.startswith(t) for t in language.line):
        return "line"
    return "block" if language.block is not None else None


def _refusal(verdict: FileVerdict, head: bytes) -> str | None:
    """Why ``--fix`` must leave this file alone, or None."""
    if verdict.language is None:
        return "not fixed: its comment syntax is unknown; put the licence in a .license file next to it"
    guessed = classify(verdict.path, head).guessed_from
    if guessed:
        return f"not fixed: its language was guessed from the ambiguous extension {guessed}; add the header by hand"
    if verdict.kind is not VerdictKind.MISSING_HEADER and verdict.declared_by not in ("header", "notice"):
        # Fixing the header would add a second declaration next to the one that counts.
        return f"not fixed: its licence is declared by {verdict.declared_by or 'REUSE'}, not its header; fix it there"
    return None


def _fix(policy: HeaderPolicy, scope: Scope, verdict: FileVerdict, file: LocalFile, year: int,
         style: str | None, sidecar: str | None) -> tuple[FileVerdict, str | None]:
    """Fix one file in place: the verdict on the result, and why it was left alone (if it was)."""
    assert verdict.language is not None and scope.license is not None
    content = _read(file.path, None)
    header = header_for(verdict.language, scope.license, policy.copyright, year, style=style, notice=policy.notice)
    try:
        fixed = insert_header(content, verdict.language, header, copyright_template=policy.copyright,
                              license=scope.license, notice=policy.notice)
    except FixRefused as exc:
        return verdict, f"not fixed: {exc}"
    after = policy.judge(scope, fixed, sidecar)
    if after.passed and fixed != content:
        _write(file.path, fixed)
    return after, None


def _sidecar(file: LocalFile, tracked: set[str], policy: HeaderPolicy) -> str | None:
    if policy.reuse is None or f"{file.rel}.license" not in tracked:
        return None
    try:
        return (file.path.parent / (file.path.name + ".license")).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cmd_check(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    top = git_toplevel(cwd)
    root = top or cwd
    config_path = Path(args.config) if args.config else root / RULES_PATH
    try:
        tracked = _split_z(_git(root, "ls-files", "-z")) if top is not None else []
        policy = load_policy(config_path, root, tracked)
        if policy is None:
            print(f"{SECTION} is disabled in {config_path}; nothing to check", file=sys.stderr)
            return 0
        files = collect(list(args.paths), cwd, root, top is not None, tracked if not args.paths else None)
    except UsageError as exc:
        print(f"governance-bot: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"governance-bot: git failed: {exc.stderr.decode(errors='replace').strip()}", file=sys.stderr)
        return 2
    known = set(tracked) | {f.rel for f in files}
    year = dt.datetime.now(dt.timezone.utc).year
    checked = problems = fixed = 0
    not_checked: list[tuple[LocalFile, FileVerdict]] = []
    failing: list[tuple[LocalFile, Scope, FileVerdict, str | None, bytes]] = []
    styles: dict[str, Counter[str]] = {}
    for file in files:
        scope = policy.scope(file.rel)
        if not scope.in_scope or policy.prejudge(scope) is not None:
            continue
        sidecar = _sidecar(file, known, policy)
        try:
            content = _read(file.path, READ_LIMIT)
            verdict = policy.judge(scope, content, sidecar)
        except OSError as exc:
            print(f"{_display(file, cwd)}: cannot read: {exc}")
            problems += 1
            continue
        if verdict.kind is VerdictKind.SKIPPED:
            if verdict.not_checked:
                not_checked.append((file, verdict))
            continue
        checked += 1
        if verdict.passed:
            style = _style(verdict, content) if args.fix else None
            if style and verdict.language is not None:
                styles.setdefault(verdict.language.name, Counter())[style] += 1
            continue
        failing.append((file, scope, verdict, sidecar, content[:BINARY_SNIFF_BYTES]))
    for file, scope, verdict, sidecar, head in failing:
        if args.fix:
            refusal = _refusal(verdict, head)
            if refusal is None:
                counts = styles.get(verdict.language.name if verdict.language else "", Counter())
                style = counts.most_common(1)[0][0] if counts else None
                after, refusal = _fix(policy, scope, verdict, file, year, style, sidecar)
                if refusal is None and after.passed:
                    fixed += 1
                    print(f"{_display(file, cwd)}: {fix_text(verdict)}")
                    continue
                verdict = after if refusal is None else verdict
            if refusal is not None:
                problems += 1
                print(f"{_display(file, cwd)}: {problem_text(verdict, policy.copyright)} ({refusal})")
                continue
        problems += 1
        print(f"{_display(file, cwd)}: {problem_text(verdict, policy.copyright)}")
    _summary(checked, problems, fixed, not_checked)
    if args.verbose:
        for file, verdict in not_checked:
            print(f"  not checked: {_display(file, cwd)}: {not_checked_text(verdict)}", file=sys.stderr)
    return 1 if problems else 0


def not_checked_text(verdict: FileVerdict) -> str:
    reason = verdict.skip_reason.value if verdict.skip_reason else "not checked"
    return f"{reason} ({verdict.detail})" if verdict.detail else reason


def _display(file: LocalFile, cwd: Path) -> str:
    return printable_path(Path(os.path.relpath(file.path, cwd)).as_posix())


def _summary(checked: int, problems: int, fixed: int, not_checked: Sequence[tuple[LocalFile, FileVerdict]]) -> None:
    parts = [f"{checked} file{'s' if checked != 1 else ''} checked"]
    if fixed:
        parts.append(f"{fixed} fixed")
    parts.append(f"{problems} problem{'s' if problems != 1 else ''}")
    if not_checked:
        reasons = Counter(v.skip_reason.value if v.skip_reason else "other" for _, v in not_checked)
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        parts.append(f"{len(not_checked)} in scope not checked ({why}; --verbose lists them)")
    print(", ".join(parts), file=sys.stderr)

"""Which files a rules file puts in scope, which licence each must declare, and the verdicts.

One policy serves the bot (files of a pull request) and `governance-bot headers check`
(files of a checkout), so both answer the same question the same way. It is pure: the
caller reads the files; :meth:`HeaderPolicy.prejudge` says which ones need no reading at
all (no comment syntax, prose not asked for), which is what keeps the bot's requests few.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.config import RULES_PATH
from bot.globs import compile_globs
from rules.common.gitattributes import GitAttributes

from .check import FileVerdict, ReuseFacts, VerdictKind, check_file
from .languages import SkipReason, classify, detect_language
from .reuse import ReuseIndex, is_reuse_metadata

__all__ = ["HeaderPolicy", "Scope", "names_prose", "printable_path", "reuse_enabled"]

_GLOB_CHARS = re.compile(r"[*?\[\]]")


def names_prose(pattern: str) -> bool:
    """Whether an `include` glob asks for prose explicitly: its last segment names a prose
    file (`README.md`) or ends in a prose extension (`docs/**/*.md`, `*.rst`). `**/*` and
    `docs/**` do not: prose is only checked when a maintainer asked for it by name."""
    text = pattern.strip()
    if not text or text.startswith("!"):
        return False
    last = text.rstrip("/").rsplit("/", 1)[-1]
    globs = list(_GLOB_CHARS.finditer(last))
    if globs:
        literal = last[globs[-1].end():]
        if not literal.startswith(".") or len(literal) < 2:
            return False
        probe = "x" + literal
    else:
        probe = last
    language = detect_language(probe)
    return language is not None and language.is_prose


@dataclass(frozen=True)
class Scope:
    """What the policy says about one path: out of scope (with why), or the licence it needs."""

    path: str
    license: str | None = None
    include_prose: bool = False
    reason: str = ""  # why it is out of scope

    @property
    def in_scope(self) -> bool:
        return self.license is not None


class HeaderPolicy:
    """Compiled `include` / `exclude` / `paths` and `.gitattributes` of one repository."""

    def __init__(self, *, license: str, copyright: str | None = None, include: Sequence[str] = ("**/*",),
                 exclude: Sequence[str] = (), paths: Iterable[tuple[Sequence[str], str]] = (),
                 attributes: GitAttributes | None = None, notice: str | None = None,
                 reuse: ReuseIndex | None = None) -> None:
        self.license = license
        self.copyright = copyright
        self.notice = notice
        #: None: REUSE is off; else the repository's REUSE.toml files / dep5 (maybe none).
        self.reuse = reuse
        self._include = compile_globs(include)
        self._exclude = compile_globs(exclude)
        prose = [g for g in include if names_prose(g)]
        self._prose = compile_globs(prose) if prose else None
        self._paths = [(compile_globs(globs), lic) for globs, lic in paths]
        self.attributes = attributes

    @classmethod
    def from_config(cls, config, attributes: GitAttributes | None = None,
                    reuse: ReuseIndex | None = None) -> HeaderPolicy:
        """From a validated `LicenseHeadersConfig`; ``reuse`` is the repository's REUSE
        information when REUSE is on (see :func:`reuse_enabled`)."""
        return cls(license=config.license, copyright=config.copyright, include=config.include,
                   exclude=config.exclude, paths=[(p.match, p.license) for p in config.paths],
                   attributes=attributes, notice=config.notice, reuse=reuse)

    def license_for(self, path: str) -> str:
        """The licence `path` must declare: the last matching `paths` entry, else `license`."""
        chosen = self.license
        for spec, license in self._paths:
            if spec.match_file(path):
                chosen = license
        return chosen

    def scope(self, path: str) -> Scope:
        path = path.removeprefix("./")
        # A name that is not UTF-8 (kept by surrogateescape) is matched as its printable form.
        match = printable_path(path)
        if path == RULES_PATH:  # the bot's own configuration, not the project's source
            return Scope(path, reason="the rules file")
        if path.startswith("LICENSES/"):
            return Scope(path, reason="licence texts (LICENSES/)")
        if self.reuse is not None and is_reuse_metadata(path):
            return Scope(path, reason="REUSE metadata")
        if not self._include.match_file(match):
            return Scope(path, reason="not in include")
        if self._exclude.match_file(match):
            return Scope(path, reason="excluded")
        if self.attributes is not None:
            if self.attributes.is_linguist_vendored(match):
                return Scope(path, reason="linguist-vendored")
            if self.attributes.is_linguist_generated(match):
                return Scope(path, reason="linguist-generated")
        prose = self._prose is not None and self._prose.match_file(match)
        return Scope(path, license=self.license_for(match), include_prose=prose)

    def prejudge(self, scope: Scope) -> FileVerdict | None:
        """The verdict when the name alone decides it (no reading needed), else None."""
        detection = classify(scope.path)
        if detection.language is None and detection.reason is SkipReason.NO_COMMENT_SYNTAX:
            return FileVerdict(scope.path, VerdictKind.SKIPPED, skip_reason=detection.reason,
                               detail=detection.detail)
        language = detection.language
        if language is not None and language.is_prose and not scope.include_prose:
            return FileVerdict(scope.path, VerdictKind.SKIPPED, language=language, skip_reason=SkipReason.PROSE,
                               detail=language.name)
        return None

    def reuse_facts(self, path: str, sidecar: str | None = None) -> ReuseFacts | None:
        """The REUSE information outside the file for ``path`` (None when REUSE is off)."""
        if self.reuse is None:
            return None
        return ReuseFacts(self.reuse.global_info(path), sidecar)

    def judge(self, scope: Scope, content: str | bytes, sidecar: str | None = None) -> FileVerdict:
        """The verdict on ``content``; ``sidecar`` is the text of its `.license` file, if any."""
        assert scope.license is not None, "judge() is for files in scope"
        return check_file(scope.path, content, expected_license=scope.license, copyright_template=self.copyright,
                          include_prose=scope.include_prose, notice=self.notice,
                          reuse=self.reuse_facts(scope.path, sidecar))


def printable_path(path: str) -> str:
    """``path`` with bytes that were not UTF-8 (lone surrogates) shown as U+FFFD."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def reuse_enabled(configured: bool | None, has_reuse_files: bool) -> bool:
    """`reuse` from the rules file, defaulting to whether REUSE.toml or .reuse/dep5 exists."""
    return has_reuse_files if configured is None else configured

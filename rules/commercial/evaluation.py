"""What the rule works out for a pull request: the commercial paths it touches, the digests
an approval is bound to (which paths, and their contents), and the verdict the status and
the report are drawn from.

A renamed file counts under its old and new path, so moving code out of a commercial
path is caught.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rules.commercial.boundary import CommercialPaths, ForbiddenImport


@dataclass(frozen=True)
class Touch:
    """A changed file that touches a commercial path (a rename may touch it on either side)."""

    path: str
    previous: str | None = None  # the old name of a renamed file
    blob: str = ""  # the file's blob SHA at the head (GitHub's `sha`), "" when GitHub gave none
    status: str = ""

    def commercial_paths(self, commercial: CommercialPaths) -> list[str]:
        names = [self.path] + ([self.previous] if self.previous else [])
        return [n for n in names if commercial.matches(n)]


@dataclass(frozen=True)
class Approval:
    approved_by: str
    approved_at: float
    files_digest: str
    comment_url: str
    files: tuple[str, ...] = ()  # the commercial paths approved (what the digest is of)
    head_sha: str | None = None  # the head the approval was given at
    content_digest: str | None = None  # the commercial files' blob SHAs there (None: an old approval)


@dataclass
class Evaluation:
    head_sha: str
    author: str
    touches: list[Touch] = field(default_factory=list)
    digest: str = ""
    content_digest: str = ""
    imports: list[ForbiddenImport] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # files whose added lines could not be read
    unusable_configs: dict[str, str] = field(default_factory=dict)  # tsconfig path -> why it was not read
    incomplete: str | None = None  # GitHub could not list every changed file
    author_is_maintainer: bool = False
    approval: Approval | None = None

    @property
    def touched(self) -> bool:
        return bool(self.touches)

    @property
    def paths_ok(self) -> bool:
        return not self.touched or self.author_is_maintainer or self.approval is not None

    @property
    def passes(self) -> bool:
        return (self.incomplete is None and self.paths_ok and not self.imports and not self.unreadable
                and not self.unusable_configs)


def commercial_touches(files: Iterable[dict[str, Any]], commercial: CommercialPaths) -> list[Touch]:
    """Changed files in a commercial path, under their new or (renamed) old name."""
    touches: list[Touch] = []
    for f in files:
        name = f.get("filename") or ""
        previous = f.get("previous_filename") if f.get("status") in ("renamed", "copied") else None
        touch = Touch(name, previous or None, str(f.get("sha") or ""), str(f.get("status") or ""))
        if touch.commercial_paths(commercial):
            touches.append(touch)
    return touches


def files_digest(touches: Iterable[Touch], commercial: CommercialPaths) -> str:
    """Digest of the sorted set of commercial paths touched: what an approval is bound to."""
    paths = sorted({p for t in touches for p in t.commercial_paths(commercial)})
    return hashlib.sha256(json.dumps(paths).encode()).hexdigest()


def content_digest(touches: Iterable[Touch]) -> str:
    """Digest of each touched commercial file's path, change and blob SHA: what the maintainer
    approved. Any later change to those files' contents gives another digest."""
    entries = sorted((t.path, t.previous or "", t.status, t.blob) for t in touches)
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()

"""Where the REUSE specification (3.3) puts a file's licence, besides its header.

A REUSE-compliant repository may declare a file's licence in a `<file>.license` sidecar,
in `REUSE.toml` annotations (any directory, each with a `precedence`), or in the older
`.reuse/dep5`, and `reuse lint` reads `SPDX-License-Identifier:` anywhere in a file (minus
`REUSE-IgnoreStart`/`REUSE-IgnoreEnd` regions). A check that only reads leading comments
reports every such file as unlicensed. This module is the pure part: parsing those files
and resolving one path's information the way the specification orders it. The caller reads
the files (from disk, or from a pull request's base branch) and hands their text in.

Precedence (spec §"Precedence", as the reference tool implements it):

- `override`: only the annotation counts, the file itself is not read; the annotation in
  the REUSE.toml closest to the root wins.
- `aggregate` (and every `.reuse/dep5` match): the annotation and the file's own
  information both apply.
- `closest` (the default): the file's own information (its sidecar, else its contents)
  wins; the annotation fills in only what the file lacks (copyright or licence), taken
  from the deepest REUSE.toml that says it.

Within one REUSE.toml the last matching annotation wins; within dep5 the last matching
`Files:` paragraph wins.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

__all__ = [
    "Dep5",
    "IGNORE_END",
    "IGNORE_START",
    "Precedence",
    "ReuseError",
    "ReuseIndex",
    "ReuseInfo",
    "ReuseToml",
    "extract",
    "is_reuse_metadata",
    "resolve",
    "strip_closers",
    "strip_ignored",
]

IGNORE_START = "REUSE-IgnoreStart"
IGNORE_END = "REUSE-IgnoreEnd"
TOML_NAME = "REUSE.toml"
DEP5_PATH = ".reuse/dep5"
#: How much of a file is searched for tags (the reference tool reads it all; the rest of a
#: file beyond this is code, and a pull request only gives us its top anyway).
SCAN_CHARS = 256 * 1024


class ReuseError(ValueError):
    """A REUSE.toml or dep5 file that does not follow the specification; ``str()`` names it."""


class Precedence(str, enum.Enum):
    CLOSEST = "closest"
    AGGREGATE = "aggregate"
    OVERRIDE = "override"


@dataclass(frozen=True)
class ReuseInfo:
    """Licence expressions and copyright notices from one source (or several, merged)."""

    licenses: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    source: str = ""

    def __bool__(self) -> bool:
        return bool(self.licenses or self.copyrights)


# --- tags in a file --------------------------------------------------------------------

# Both searched without a leading `.*?`, so a scan stays linear in the text's length.
_TAG = re.compile(r"SPDX-License-Identifier:[ \t]*")
_COPYRIGHT = re.compile(r"SPDX-(?:File|Snippet)CopyrightText:|Copyright\b|COPYRIGHT\b|©")
#: Comment closers the reference tool strips after a tag's value (it also strips the line's
#: prefix mirrored: `|*  SPDX-License-Identifier: MIT  *|`).
VALUE_CLOSERS = ("*/", "-->", "*)", "-}", "#}", "%>", "--%>", "*@", "'/", "]]", "]#", "=#", "#>", "|#", "*#",
                 "-/", ":)", "}", "--}}", "*/}}")


def strip_closers(text: str, closers: tuple[str, ...], runs: str = "") -> str:
    """``text`` without trailing whitespace, ``closers`` and characters of ``runs``, repeated
    until none is left. A loop of ``endswith`` rather than an end-anchored regex, which
    backtracks quadratically on a long line of spaces (this text is the contributor's)."""
    while True:
        before = text
        text = text.rstrip()
        if runs:
            text = text.rstrip(runs).rstrip()
        for closer in closers:
            if text.endswith(closer):
                text = text[: -len(closer)]
                break
        else:
            # <tag value="...SPDX-License-Identifier: MIT" />, [SPDX-License-Identifier: MIT] ::, (x "...")
            if text.endswith(">") and text[:-1].rstrip("/").rstrip().endswith(('"', "'")):
                text = text[:-1].rstrip("/").rstrip()[:-1]
            elif text.endswith("::") and text[:-2].rstrip().endswith("]"):
                text = text[:-2].rstrip()[:-1]
            elif text.endswith(")") and text[:-1].rstrip().endswith('"'):
                text = text[:-1].rstrip()[:-1]
        if text == before:
            return text


def strip_ignored(text: str) -> str:
    """``text`` without its ``REUSE-IgnoreStart`` ... ``REUSE-IgnoreEnd`` regions (an
    unclosed start ignores the rest), as `reuse lint` reads it."""
    out: list[str] = []
    position = 0
    while True:
        start = text.find(IGNORE_START, position)
        if start < 0:
            out.append(text[position:])
            break
        out.append(text[position:start])
        end = text.find(IGNORE_END, start + len(IGNORE_START))
        if end < 0:
            break
        position = end + len(IGNORE_END)
    return "".join(out)


def _clean(value: str, prefix: str) -> str:
    mirrored = prefix.strip()[::-1]
    value = value.rstrip()
    if mirrored and value.endswith(mirrored):
        value = value[: -len(mirrored)]
    return strip_closers(value, VALUE_CLOSERS).strip()


def _values(body: str, pattern: re.Pattern[str], *, keep_match: bool) -> list[str]:
    """The cleaned rest of each line where ``pattern`` first matches (one value a line)."""
    out: list[str] = []
    position = 0
    while (m := pattern.search(body, position)) is not None:
        line_start = body.rfind("\n", 0, m.start()) + 1
        line_end = body.find("\n", m.end())
        line_end = len(body) if line_end < 0 else line_end
        value = _clean(body[m.start() if keep_match else m.end():line_end], body[line_start:m.start()])
        if value and value not in out:
            out.append(value)
        position = line_end
    return out


def extract(text: str, source: str = "file") -> ReuseInfo:
    """The SPDX licence tags and copyright notices anywhere in ``text`` (its first
    :data:`SCAN_CHARS` characters), ignore regions excluded."""
    body = strip_ignored(text[:SCAN_CHARS].replace("\r\n", "\n").replace("\r", "\n"))
    licenses = _values(body, _TAG, keep_match=False)
    copyrights = _values(body, _COPYRIGHT, keep_match=True)
    return ReuseInfo(tuple(licenses), tuple(copyrights), source)


# --- REUSE.toml --------------------------------------------------------------------------


def _glob_regex(pattern: str, *, dep5: bool = False) -> str:
    """A glob as a regex. REUSE.toml: ``*`` is anything but ``/``, ``**`` anything, ``\\``
    escapes. Debian copyright format (dep5): ``*`` is anything (``/`` too), ``?`` one
    character, ``\\`` escapes."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*" and not dep5 and pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append(".*" if dep5 else "[^/]*")
        elif char == "?" and dep5:
            out.append(".")
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _strings(value: object, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ReuseError(f"{where}: {key} must be a string or a list of strings")


@dataclass(frozen=True)
class Annotation:
    paths: tuple[str, ...]
    precedence: Precedence
    info: ReuseInfo
    _regex: re.Pattern[str] = field(repr=False, compare=False, default=re.compile(r"(?!)"))

    def matches(self, relative: str) -> bool:
        return self._regex.fullmatch(relative) is not None


@dataclass(frozen=True)
class ReuseToml:
    """One REUSE.toml: its directory ("" for the root) and its annotations in order."""

    directory: str
    annotations: tuple[Annotation, ...]

    @classmethod
    def parse(cls, text: str, path: str = TOML_NAME) -> ReuseToml:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ReuseError(f"{path}: not valid TOML: {exc}") from None
        version = data.get("version")
        if version != 1 or isinstance(version, bool):
            raise ReuseError(f"{path}: version must be 1 (the REUSE.toml schema this follows)")
        items = data.get("annotations", [])
        if not isinstance(items, list):
            raise ReuseError(f"{path}: annotations must be an array of tables ([[annotations]])")
        annotations: list[Annotation] = []
        for number, item in enumerate(items, 1):
            where = f"{path}: annotation {number}"
            if not isinstance(item, dict):
                raise ReuseError(f"{where}: must be a table")
            paths = _strings(item.get("path"), "path", where)
            if not paths:
                raise ReuseError(f"{where}: path is required")
            try:
                precedence = Precedence(item.get("precedence", "closest"))
            except ValueError:
                raise ReuseError(f"{where}: precedence must be closest, aggregate or override") from None
            info = ReuseInfo(_strings(item.get("SPDX-License-Identifier"), "SPDX-License-Identifier", where),
                             _strings(item.get("SPDX-FileCopyrightText"), "SPDX-FileCopyrightText", where), path)
            regex = re.compile("|".join(f"(?:{_glob_regex(p)})" for p in paths))
            annotations.append(Annotation(paths, precedence, info, regex))
        directory = str(PurePosixPath(path).parent)
        return cls("" if directory == "." else directory, tuple(annotations))

    def covers(self, path: str) -> bool:
        return not self.directory or path.startswith(self.directory + "/")

    def find(self, path: str) -> Annotation | None:
        """The last annotation matching ``path`` (relative to the repository root)."""
        relative = path[len(self.directory) + 1:] if self.directory else path
        for annotation in reversed(self.annotations):
            if annotation.matches(relative):
                return annotation
        return None


# --- .reuse/dep5 -------------------------------------------------------------------------


@dataclass(frozen=True)
class Dep5:
    """The `Files:` paragraphs of a `.reuse/dep5` file, in order."""

    paragraphs: tuple[tuple[re.Pattern[str], ReuseInfo], ...]

    @classmethod
    def parse(cls, text: str, path: str = DEP5_PATH) -> Dep5:
        paragraphs: list[tuple[re.Pattern[str], ReuseInfo]] = []
        for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n")):
            fields: dict[str, list[str]] = {}
            current: str | None = None
            for line in block.split("\n"):
                if line.startswith("#"):
                    continue
                if line[:1] in (" ", "\t") and current is not None:
                    fields[current].append(line.strip())
                    continue
                name, colon, value = line.partition(":")
                if not colon:
                    raise ReuseError(f"{path}: cannot read line {line[:80]!r}")
                current = name.strip().lower()
                fields[current] = [value.strip()]
            if "files" not in fields:
                continue  # the header paragraph, or a stand-alone License paragraph
            patterns = " ".join(fields["files"]).split()
            license = (fields.get("license") or [""])[0]
            copyrights = tuple(c for c in (fields.get("copyright") or []) if c and c != ".")
            if not patterns:
                raise ReuseError(f"{path}: a Files paragraph names no files")
            regex = re.compile("|".join(f"(?:{_glob_regex(p, dep5=True)})" for p in patterns))
            paragraphs.append((regex, ReuseInfo((license,) if license else (), copyrights, path)))
        return cls(tuple(paragraphs))

    def find(self, path: str) -> ReuseInfo | None:
        for regex, info in reversed(self.paragraphs):
            if regex.fullmatch(path):
                return info
        return None


# --- resolving one path --------------------------------------------------------------------


@dataclass(frozen=True)
class ReuseIndex:
    """A repository's global REUSE information: every REUSE.toml, or a dep5."""

    tomls: tuple[ReuseToml, ...] = ()
    dep5: Dep5 | None = None

    @classmethod
    def parse(cls, tomls: Mapping[str, str], dep5: str | None = None) -> ReuseIndex:
        """From the texts of the REUSE.toml files (keyed by path) and of `.reuse/dep5`."""
        parsed = sorted((ReuseToml.parse(text, path) for path, text in tomls.items()),
                        key=lambda t: (t.directory.count("/") + bool(t.directory), t.directory))
        if parsed and dep5 is not None:
            raise ReuseError("both REUSE.toml and .reuse/dep5 exist; the REUSE specification allows only one")
        return cls(tuple(parsed), Dep5.parse(dep5) if dep5 is not None else None)

    def global_info(self, path: str) -> dict[Precedence, list[ReuseInfo]]:
        """What the REUSE.toml files (outermost first) or dep5 say about ``path``."""
        result: dict[Precedence, list[ReuseInfo]] = {}
        if self.dep5 is not None:
            found = self.dep5.find(path)
            if found:
                result[Precedence.AGGREGATE] = [found]
            return result
        for toml in self.tomls:
            if not toml.covers(path):
                continue
            annotation = toml.find(path)
            if annotation is None:
                continue
            result.setdefault(annotation.precedence, []).append(annotation.info)
            if annotation.precedence is Precedence.OVERRIDE:
                break  # the outermost override is final
        closest = result.pop(Precedence.CLOSEST, [])
        if closest:  # the deepest file that says each of copyright and licence
            licenses = next((i.licenses for i in reversed(closest) if i.licenses), ())
            copyrights = next((i.copyrights for i in reversed(closest) if i.copyrights), ())
            source = closest[-1].source
            result[Precedence.CLOSEST] = [ReuseInfo(licenses, copyrights, source)]
        return result


@dataclass(frozen=True)
class Resolved:
    """A path's REUSE information once precedence is applied."""

    infos: tuple[ReuseInfo, ...] = ()
    file_read: bool = True  # False under `override`: the file's own contents do not count

    @property
    def licenses(self) -> tuple[str, ...]:
        out: list[str] = []
        for info in self.infos:
            out.extend(x for x in info.licenses if x not in out)
        return tuple(out)

    @property
    def copyrights(self) -> tuple[str, ...]:
        return tuple(c for info in self.infos for c in info.copyrights)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.source for i in self.infos if i.licenses))


def resolve(global_info: Mapping[Precedence, Sequence[ReuseInfo]], file_info: ReuseInfo | None) -> Resolved:
    """Combine the global information with the file's own (its sidecar's, or its
    contents'); ``file_info`` None means it was not read (override)."""
    if Precedence.OVERRIDE in global_info:
        return Resolved(tuple(global_info[Precedence.OVERRIDE]) + tuple(global_info.get(Precedence.AGGREGATE, ())),
                        file_read=False)
    infos: list[ReuseInfo] = list(global_info.get(Precedence.AGGREGATE, ()))
    own = file_info or ReuseInfo()
    if own:
        infos.append(own)
    closest = list(global_info.get(Precedence.CLOSEST, ()))
    if closest:
        if not own:
            infos.extend(closest)
        elif not own.licenses and closest[0].licenses:
            infos.append(ReuseInfo(closest[0].licenses, (), closest[0].source))
        elif not own.copyrights and closest[0].copyrights:
            infos.append(ReuseInfo((), closest[0].copyrights, closest[0].source))
    return Resolved(tuple(infos))


def needs_file(global_info: Mapping[Precedence, Sequence[ReuseInfo]]) -> bool:
    """Whether the file's contents matter (not under `override`)."""
    return Precedence.OVERRIDE not in global_info


_METADATA = re.compile(r"(?:^|/)(?:REUSE\.toml|[^/]+\.license)$|^\.reuse/|^LICENSES/")


def is_reuse_metadata(path: str) -> bool:
    """REUSE's own files, which the specification does not cover: `LICENSES/`, `.reuse/`,
    REUSE.toml files and `.license` sidecars."""
    return _METADATA.search(path) is not None


def sidecar_path(path: str) -> str:
    return f"{path}.license"


def toml_paths(paths: Iterable[str]) -> list[str]:
    """The REUSE.toml files among ``paths`` (a repository's file list)."""
    return [p for p in paths if p == TOML_NAME or p.endswith("/" + TOML_NAME)]

"""``.gitattributes`` parsing, enough to answer GitHub Linguist's questions.

Files marked ``linguist-generated`` or ``linguist-vendored`` are not the contributor's to
license (and do not count towards PR size), so the rules need git's answer for a path.
Semantics follow gitattributes(5): the last matching line wins per attribute, deeper
``.gitattributes`` files override shallower ones, ``-attr`` unsets, ``!attr`` returns to
unspecified, negative patterns are ignored, and unlike .gitignore a pattern that matches
a directory does not match the files inside it (``vendor/`` never matches a file; write
``vendor/**``). Glob syntax is delegated to pathspec's gitignore pattern translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

try:  # pathspec >= 1.0
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as _Pattern
except ImportError:  # pathspec 0.12
    from pathspec.patterns.gitwildmatch import GitWildMatchPattern as _Pattern  # type: ignore[assignment,no-redef]

__all__ = ["AttributeValue", "GitAttributes", "parse_gitattributes"]

#: True = set, False = unset (``-attr``), str = ``attr=value``, None = unspecified.
AttributeValue = bool | str | None

_BUILTIN_MACROS: dict[str, tuple[tuple[str, AttributeValue], ...]] = {
    "binary": (("diff", False), ("merge", False), ("text", False)),
}
_MACRO_DEPTH = 8


@dataclass(frozen=True)
class _Rule:
    base: str  # directory of the .gitattributes file, "" or ending in "/"
    regex: re.Pattern[str]
    attributes: tuple[tuple[str, AttributeValue], ...]


def _unquote(quoted: str) -> tuple[str, str]:
    """Split a C-quoted pattern (git quotes odd names) off the front of ``quoted``."""
    out = bytearray()
    i = 1
    escapes = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, '"': 34, "\\": 92}
    while i < len(quoted):
        ch = quoted[i]
        if ch == '"':
            return out.decode("utf-8", "surrogateescape"), quoted[i + 1:]
        if ch == "\\" and i + 1 < len(quoted):
            nxt = quoted[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", quoted[i + 1:i + 4]):
                out.append(int(quoted[i + 1:i + 4], 8) & 0xFF)
                i += 4
                continue
            if nxt in escapes:
                out.append(escapes[nxt])
            else:  # unknown escape: keep it literally
                out.extend(("\\" + nxt).encode("utf-8", "surrogateescape"))
            i += 2
            continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "surrogateescape"), ""  # unterminated: take it all


def _parse_attributes(words: Iterable[str]) -> tuple[tuple[str, AttributeValue], ...]:
    result: list[tuple[str, AttributeValue]] = []
    for word in words:
        if word.startswith("-"):
            result.append((word[1:], False))
        elif word.startswith("!"):
            result.append((word[1:], None))
        elif "=" in word:
            name, value = word.split("=", 1)
            result.append((name, value))
        else:
            result.append((word, True))
    return tuple((name, value) for name, value in result if name)


def _compile(pattern: str) -> re.Pattern[str] | None:
    """pathspec's regex for ``pattern``, made to refuse matches that only hold because a
    parent directory matched (its ``ps_d`` group); gitattributes has no such inheritance."""
    regex, include = _Pattern.pattern_to_regex(pattern)
    if regex is None or include is not True:
        return None
    source = regex if isinstance(regex, str) else regex.decode()
    if "(?P<ps_d>" in source:
        source += "(?(ps_d)(?!))"
    return re.compile(source)


class GitAttributes:
    """The attributes one or more ``.gitattributes`` files give to paths."""

    def __init__(self, rules: Iterable[_Rule] = ()) -> None:
        self._rules = list(rules)

    @classmethod
    def parse(cls, text: str, base: str = "") -> GitAttributes:
        """Parse one file; ``base`` is its directory relative to the repository root."""
        return cls(_parse_rules(text, base))

    @classmethod
    def from_files(cls, files: Mapping[str, str]) -> GitAttributes:
        """Combine files keyed by their path (``".gitattributes"``,
        ``"sub/.gitattributes"``); deeper files take precedence, as in git."""

        def depth(path: str) -> tuple[int, str]:
            return (path.strip("/").count("/"), path)

        rules: list[_Rule] = []
        macros = dict(_BUILTIN_MACROS)
        for path in sorted(files, key=depth):
            base = path.strip("/").rpartition("/")[0]
            rules.extend(_parse_rules(files[path], base, macros, allow_macros=not base))
        return cls(rules)

    def attributes(self, path: str) -> dict[str, AttributeValue]:
        """Every attribute that matching lines mention, in its final state."""
        path = path.removeprefix("./").strip("/")
        state: dict[str, AttributeValue] = {}
        for rule in self._rules:
            if rule.base and not path.startswith(rule.base):
                continue
            if rule.regex.match(path[len(rule.base):]):
                state.update(rule.attributes)
        return state

    def attribute(self, path: str, name: str) -> AttributeValue:
        """One attribute's state for ``path`` (None when unspecified)."""
        return self.attributes(path).get(name)

    def _linguist_flag(self, path: str, name: str) -> bool:
        # Linguist treats any value but "false" (and unset) as true.
        value = self.attribute(path, name)
        return value is not None and value is not False and value != "false"

    def is_linguist_generated(self, path: str) -> bool:
        """``linguist-generated`` / ``=true`` set and not later unset for ``path``."""
        return self._linguist_flag(path, "linguist-generated")

    def is_linguist_vendored(self, path: str) -> bool:
        """``linguist-vendored`` / ``=true`` set and not later unset for ``path``."""
        return self._linguist_flag(path, "linguist-vendored")


def _parse_rules(
    text: str,
    base: str,
    macros: dict[str, tuple[tuple[str, AttributeValue], ...]] | None = None,
    *,
    allow_macros: bool = True,
) -> list[_Rule]:
    base = base.strip("/")
    base = base + "/" if base else ""
    macros = dict(_BUILTIN_MACROS) if macros is None else macros
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            pattern, rest = _unquote(line)
        else:
            pattern, _, rest = line.replace("\t", " ").partition(" ")
        words = rest.split()
        if pattern.startswith("[attr]"):
            if allow_macros:
                macros[pattern[len("[attr]"):]] = _parse_attributes(words)
            continue
        if pattern.startswith("!"):
            continue  # negative patterns are forbidden in gitattributes; git ignores them
        regex = _compile(pattern)
        if regex is None:
            continue
        rules.append(_Rule(base, regex, _expand(_parse_attributes(words), macros)))
    return rules


def _expand(
    attributes: tuple[tuple[str, AttributeValue], ...],
    macros: Mapping[str, tuple[tuple[str, AttributeValue], ...]],
    depth: int = 0,
) -> tuple[tuple[str, AttributeValue], ...]:
    """Setting a macro sets what it stands for, then the macro itself (git's order)."""
    out: list[tuple[str, AttributeValue]] = []
    for name, value in attributes:
        if value is True and name in macros and depth < _MACRO_DEPTH:
            out.extend(_expand(macros[name], macros, depth + 1))
        out.append((name, value))
    return tuple(out)


def parse_gitattributes(text: str, base: str = "") -> GitAttributes:
    """Shorthand for :meth:`GitAttributes.parse`."""
    return GitAttributes.parse(text, base)

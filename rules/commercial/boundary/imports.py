"""Find imports of commercial code in the added lines of a unified diff.

Pure and I/O-free: the caller hands over the file path, GitHub's ``patch``
field for that file and the commercial paths; this module parses the hunks,
recognises import statements per language (Python, JavaScript/TypeScript,
Go), resolves them to repository paths and reports the ones that land in a
commercial path.

Resolution is always by path (``free/x`` never matches ``ee/``, ``ee_utils``
is not ``ee``). Patches are contributor text: every pattern here is RE2
(:mod:`rules.common.linear`), so matching is linear in the line, and lines are capped at
:data:`rules.common.diff.MAX_LINE_CHARS` characters.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules.common.diff import PatchLine, parse_patch
from rules.common.linear import IDENTIFIER, compile_linear

from .paths import LANG_GO, LANG_JS, LANG_PYTHON, CommercialPaths, normalize_repo_path

__all__ = [
    "ForbiddenImport",
    "ImportRef",
    "DEFAULT_ALIASES",
    "DEFAULT_PYTHON_ROOTS",
    "patch_from_contents",
    "language_for",
    "find_imports",
    "find_forbidden_imports",
    "resolve_js_specifier",
    "resolve_python_module",
    "resolve_go_import",
]

_MAX_STATEMENT_CHARS = 200
_MAX_SPEC = 1000  # longest import specifier considered

DEFAULT_ALIASES: Mapping[str, str | Sequence[str]] = {}
DEFAULT_PYTHON_ROOTS: tuple[str, ...] = (".", "src")

AliasMap = Mapping[str, "str | Sequence[str]"]


@dataclass(frozen=True, slots=True)
class ForbiddenImport:
    """An added line of a non-commercial file importing commercial code."""

    file: str        # the importing file (as given)
    line: int        # line number in the new version of ``file``
    statement: str   # the added line, stripped (truncated for display)
    target: str      # repository path the import resolved to (without guessed extension)


@dataclass(frozen=True, slots=True)
class ImportRef:
    """An import found on an added line, before the commercial check.

    ``targets`` are alternative repository paths (without guessed extension)
    the import may refer to; any of them being commercial makes it forbidden.
    """

    line: int
    statement: str
    specifier: str
    targets: tuple[str, ...]
    language: str


def patch_from_contents(base_text: str | None, head_text: str) -> str:
    """A one-hunk patch over the whole new file, for files GitHub gives no ``patch`` for
    (diffs too large, PRs beyond 3,000 files).

    A new line counts as added unless the old file holds the same line (each old line
    matches one new line). That is linear in the file size, unlike a real diff, and it
    is what an import check needs: a line already present in the old file imports
    nothing new, wherever it moved. Every new line is in the hunk, so block imports
    (``import (`` in Go, ``from x import (`` in Python) keep their context.
    """
    head_lines = head_text.replace("\r\n", "\n").split("\n")
    if head_lines and head_lines[-1] == "":
        head_lines.pop()
    if not head_lines:
        return ""
    remaining: dict[str, int] = {}
    if base_text:
        for line in base_text.replace("\r\n", "\n").split("\n"):
            remaining[line] = remaining.get(line, 0) + 1
    out = [f"@@ -0,0 +1,{len(head_lines)} @@"]
    for line in head_lines:
        if remaining.get(line, 0) > 0:
            remaining[line] -= 1
            out.append(" " + line)
        else:
            out.append("+" + line)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Language detection
# ---------------------------------------------------------------------------

_PY_EXTS = (".py", ".pyi", ".pyw")
_JS_EXTS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte")
_GO_EXTS = (".go",)


def language_for(path: str) -> str | None:
    """``"python"``, ``"js"``, ``"go"`` or None, from the file extension."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(_PY_EXTS):
        return LANG_PYTHON
    if name.endswith(_JS_EXTS):
        return LANG_JS
    if name.endswith(_GO_EXTS):
        return LANG_GO
    return None


def _statement(text: str) -> str:
    s = text.strip()
    if len(s) > _MAX_STATEMENT_CHARS:
        s = s[: _MAX_STATEMENT_CHARS - 1] + "\u2026"
    return s


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for it in items:
        if it and it not in seen:
            seen.add(it)
            out.append(it)
    return tuple(out)


# ---------------------------------------------------------------------------
# Python
# ---------------------------------------------------------------------------

_PY_DOTTED = IDENTIFIER + r"(?:\s*\.\s*" + IDENTIFIER + r")*"
_PY_IMPORT_RE = compile_linear(r"import\s+(.+)")
# ``from`` then dots (``from .x``, ``from . x``), an optional dotted module, ``import``, the names.
_PY_FROM_RE = compile_linear(r"from(?:\s+(\.*)|(\.+))\s*(" + _PY_DOTTED + r")?\s+import\b\s*(.*)")
_PY_FROM_DOTS_RE = compile_linear(r"from\s*(\.+)\s*import\b\s*(.*)")
_PY_DOTTED_RE = compile_linear(_PY_DOTTED)
_PY_NAME_RE = compile_linear(IDENTIFIER)
_PY_COMPOUND_RE = compile_linear(r"(?:(?:try|else|finally)\s*|(?:except|if|elif|with|for|while)\b[^:]*):\s*")
_PY_DYNAMIC_RE = compile_linear(
    r"(?:\b__import__|\bimport_module)\s*\(\s*(?:name\s*=\s*)?[rbuRBU]?"
    r"(?:'([^'\"\n]{1,%d})'|\"([^'\"\n]{1,%d})\")(\s*,\s*[^)]*)?" % (_MAX_SPEC, _MAX_SPEC)
)
_WHITESPACE_RE = compile_linear(r"\s+")


def _py_outside_strings(text: str) -> Iterator[tuple[int, str]]:
    """``(index, character)`` of each character outside string literals, quotes excluded.

    A quote opens a literal that the same quote closes; a backslash inside escapes the
    next character. Line-level only: enough for one logical line of an import.
    """
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        else:
            yield i, c
        i += 1


def _py_strip_comment(text: str) -> str:
    """Drop a trailing ``# comment`` that is not inside a string literal."""
    for i, c in _py_outside_strings(text):
        if c == "#":
            return text[:i]
    return text


def _py_split_statements(text: str) -> list[str]:
    """Split a logical line on ``;`` outside string literals."""
    parts = []
    start = 0
    for i, c in _py_outside_strings(text):
        if c == ";":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _py_package_dir(file_path: str) -> str:
    return posixpath.dirname(normalize_repo_path(file_path) or "")


def _py_relative_base(file_path: str, dots: int) -> str | None:
    """The directory a relative import with ``dots`` leading dots refers to."""
    base = _py_package_dir(file_path)
    for _ in range(dots - 1):
        if not base:
            return None
        base = posixpath.dirname(base)
    return base


def _py_join(base: str, dotted: str) -> str:
    rel = dotted.replace(" ", "").replace("\t", "").replace(".", "/")
    if not base:
        return rel
    if not rel:
        return base
    return base + "/" + rel


def _py_roots(python_roots: Iterable[str]) -> list[str]:
    roots = []
    for r in python_roots:
        n = normalize_repo_path(r)
        if n is not None and n not in roots:
            roots.append(n)
    return roots or [""]


def resolve_python_module(
    module: str,
    file_path: str,
    *,
    level: int = 0,
    python_roots: Iterable[str] = DEFAULT_PYTHON_ROOTS,
) -> tuple[str, ...]:
    """Repository paths (no extension) a Python module name may refer to.

    ``level`` is the number of leading dots of a relative import; relative
    imports resolve against the importing file's package directory, absolute
    ones against each of ``python_roots``.
    """
    module = module.strip()
    if level > 0:
        base = _py_relative_base(file_path, level)
        if base is None:
            return ()
        # may be "" (the repository root) for ``from ... import x``
        return (_py_join(base, module),)
    if not module:
        return ()
    return _dedupe(_py_join(root, module) for root in _py_roots(python_roots))


def _py_names(text: str) -> tuple[list[str], bool, bool]:
    """Names imported by the tail of a ``from X import …`` statement.

    Returns (names, opens_paren_block, closes_paren_block).
    """
    opens = "(" in text
    closes = ")" in text
    body = text.replace("(", " ").replace(")", " ").replace("\\", " ")
    names = []
    for part in body.split(","):
        part = part.strip()
        if not part or part == "*":
            continue
        m = _PY_NAME_RE.match(part)
        if m:
            names.append(m.group(0))
    return names, opens and not closes, closes


@dataclass(slots=True)
class _PyBlock:
    """An open ``from X import (`` block."""

    module_targets: tuple[str, ...]
    specifier: str
    opener_added: bool
    opener_flagged_targets: tuple[str, ...]  # filled in by the caller


def _python_refs(
    file_path: str,
    lines: list[PatchLine],
    python_roots: Iterable[str],
) -> Iterator[tuple[ImportRef, tuple[str, ...], _PyBlock | None]]:
    """Python imports on added lines (a generator: the consumer may mark a
    yielded block's opener as flagged before its continuation lines are read).

    Each entry is (ref, name_targets, block): ``ref.targets`` are the module
    targets; ``name_targets`` are ``module/name`` alternatives (``from ee
    import x`` may import module ``ee/x``).
    """
    roots = list(python_roots)
    block: _PyBlock | None = None
    hunk = None
    for pl in lines:
        if pl.hunk != hunk:
            hunk = pl.hunk
            block = None  # lines between hunks are unknown
        if pl.kind == "-":
            continue
        added = pl.kind == "+"
        code = _py_strip_comment(pl.text)
        if block is not None:
            # continuation lines of ``from X import (`` … ``)``
            names, _, closes = _py_names(code)
            if added and names and not (block.opener_added and block.opener_flagged_targets):
                name_targets = _dedupe(_py_join(t, n) for t in block.module_targets for n in names)
                ref = ImportRef(
                    pl.new_line or 0, _statement(pl.text), block.specifier, block.module_targets, LANG_PYTHON
                )
                yield ref, name_targets, None
            if closes:
                block = None
            continue
        stripped = code.strip()
        if not stripped:
            continue
        for stmt in _py_split_statements(stripped):
            stmt = stmt.strip()
            m = _PY_COMPOUND_RE.match(stmt)
            if m and m.end() < len(stmt):
                stmt = stmt[m.end():].strip()
            if stmt.startswith("from"):
                fm = _PY_FROM_RE.match(stmt)
                dots = ""
                module = ""
                tail = ""
                if fm and (fm.group(1) or fm.group(2) or fm.group(3)):
                    dots, module, tail = fm.group(1) or fm.group(2) or "", fm.group(3) or "", fm.group(4)
                else:
                    fd = _PY_FROM_DOTS_RE.match(stmt)
                    if not fd:
                        continue
                    dots, tail = fd.group(1), fd.group(2)
                module = _WHITESPACE_RE.sub("", module)
                targets = resolve_python_module(module, file_path, level=len(dots), python_roots=roots)
                if not targets:
                    continue
                names, opens, _ = _py_names(tail)
                name_targets = _dedupe(_py_join(t, n) for t in targets for n in names)
                spec = dots + module
                new_block = None
                if opens:
                    new_block = _PyBlock(targets, spec, added, ())
                    block = new_block
                if added:
                    ref = ImportRef(pl.new_line or 0, _statement(pl.text), spec, targets, LANG_PYTHON)
                    yield ref, name_targets, new_block
            elif stmt.startswith("import"):
                im = _PY_IMPORT_RE.match(stmt)
                if not im or not added:
                    continue
                for part in im.group(1).replace("(", " ").replace(")", " ").split(","):
                    dm = _PY_DOTTED_RE.match(part.strip())
                    if not dm:
                        continue
                    module = _WHITESPACE_RE.sub("", dm.group(0))
                    targets = resolve_python_module(module, file_path, python_roots=roots)
                    if targets:
                        ref = ImportRef(pl.new_line or 0, _statement(pl.text), module, targets, LANG_PYTHON)
                        yield ref, (), None
        if added:
            for dm in _PY_DYNAMIC_RE.finditer(code):
                spec = (dm.group(1) if dm.group(1) is not None else dm.group(2)).strip()
                rest = spec.lstrip(".")
                level = len(spec) - len(rest)
                if rest and not _PY_DOTTED_RE.fullmatch(rest):
                    continue
                if level and not dm.group(3):
                    # relative name without a ``package`` argument is an error at run time
                    continue
                targets = resolve_python_module(rest, file_path, level=level, python_roots=roots)
                if targets:
                    ref = ImportRef(pl.new_line or 0, _statement(pl.text), spec, targets, LANG_PYTHON)
                    yield ref, (), None


# ---------------------------------------------------------------------------
# JavaScript / TypeScript
# ---------------------------------------------------------------------------

# A quoted specifier: group 1 (single quotes) or group 2 (double quotes).
_Q = r"(?:'([^'\"\n]{1,%d})'|\"([^'\"\n]{1,%d})\")" % (_MAX_SPEC, _MAX_SPEC)
_NOT_AFTER_NAME = r"(?:^|[^\pL\pN_$.])"  # RE2 has no lookbehind: the character before is matched
_JS_FROM_RE = compile_linear(_NOT_AFTER_NAME + r"from\s*" + _Q)
_JS_SIDE_EFFECT_RE = compile_linear(r"(?:^|[;{}])\s*import\s*" + _Q)
_JS_CALL_RE = compile_linear(
    _NOT_AFTER_NAME + r"(?:import|require(?:\s*\.\s*resolve)?)\s*\(\s*(?:" + _Q + r"|`([^`$\n]{1,%d})`)"
    % _MAX_SPEC
)
_JS_REFERENCE_RE = compile_linear(r"^\s*///\s*<reference\s+path\s*=\s*" + _Q)
_JS_STAR_FROM_RE = compile_linear(r"^\*\s*from\s*['\"]")


def _quoted(m: Any) -> str:
    """The specifier of a match: its one group that matched (single, double or back quotes)."""
    return next((value for value in m.groups() if value is not None), "")


def _alias_values(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)]


def _join_alias(target: str, rest: str) -> str:
    if not rest:
        return target
    if not target or target.endswith("/"):
        return target + rest.lstrip("/")
    if rest.startswith("/"):
        return target + rest
    return target + "/" + rest


def _resolve_alias(spec: str, aliases: AliasMap) -> list[str] | None:
    """Apply the best-matching alias (longest key) to ``spec``; None if none matches.

    Key forms: ``"@ee/*": ["ee/*"]`` (tsconfig ``paths``), ``"@/": "src/"``
    (prefix), ``"@acme/ee": "packages/ee"`` (exact, or followed by ``/``).
    """
    best_len = -1
    best: list[str] | None = None
    for key, value in aliases.items():
        if not isinstance(key, str) or not key:
            continue
        values = _alias_values(value)
        if "*" in key:
            prefix, _, suffix = key.partition("*")
            if len(spec) >= len(prefix) + len(suffix) and spec.startswith(prefix) and spec.endswith(suffix):
                star = spec[len(prefix): len(spec) - len(suffix)]
                score = len(prefix) + len(suffix)
                if score > best_len:
                    best_len = score
                    best = [v.replace("*", star, 1) if "*" in v else _join_alias(v, star) for v in values]
        elif key.endswith("/"):
            if spec.startswith(key) or spec == key[:-1]:
                score = len(key)
                if score > best_len:
                    best_len = score
                    rest = spec[len(key):] if spec.startswith(key) else ""
                    best = [_join_alias(v, rest) for v in values]
        else:
            if spec == key or spec.startswith(key + "/"):
                score = len(key)
                if score > best_len:
                    best_len = score
                    rest = spec[len(key) + 1:] if spec != key else ""
                    best = [_join_alias(v, rest) for v in values]
    return best


def resolve_js_specifier(
    spec: str,
    file_path: str,
    aliases: AliasMap = DEFAULT_ALIASES,
) -> tuple[str, ...]:
    """Repository paths a JS/TS module specifier may refer to.

    Relative specifiers resolve against the importing file's folder, ``/x``
    against the repository root, aliased ones through ``aliases``; bare
    package names that are no alias are third-party and give ``()``.
    """
    spec = spec.strip()
    if "!" in spec:  # webpack loader syntax: "style-loader!./x.css"
        spec = spec.rsplit("!", 1)[-1]
    for sep in ("?",):
        if sep in spec:
            spec = spec.split(sep, 1)[0]
    if not spec or "://" in spec or spec.startswith(("data:", "node:")):
        return ()
    if spec in (".", "..") or spec.startswith(("./", "../")):
        base = posixpath.dirname(normalize_repo_path(file_path) or "")
        joined = normalize_repo_path(posixpath.join(base, spec) if base else spec)
        return (joined,) if joined else ()
    mapped = _resolve_alias(spec, aliases) if aliases else None
    if mapped is not None:
        return _dedupe(p for p in (normalize_repo_path(v) for v in mapped) if p)
    if spec.startswith("/"):
        p = normalize_repo_path(spec)
        return (p,) if p else ()
    return ()


def _js_refs(file_path: str, lines: list[PatchLine], aliases: AliasMap) -> list[ImportRef]:
    out: list[ImportRef] = []
    for pl in lines:
        if pl.kind != "+":
            continue
        text = pl.text
        stripped = text.lstrip()
        specs: list[str] = []
        rm = _JS_REFERENCE_RE.match(text)
        if rm:
            specs.append(_quoted(rm))
        elif stripped.startswith(("//", "/*")) or (
            stripped.startswith("*") and not _JS_STAR_FROM_RE.match(stripped)
        ):
            continue
        else:
            for regex in (_JS_FROM_RE, _JS_SIDE_EFFECT_RE, _JS_CALL_RE):
                specs.extend(_quoted(m) for m in regex.finditer(text))
        seen: set[str] = set()
        for spec in specs:
            if spec in seen:
                continue
            seen.add(spec)
            targets = resolve_js_specifier(spec, file_path, aliases)
            if targets:
                out.append(ImportRef(pl.new_line or 0, _statement(text), spec, targets, LANG_JS))
    return out


# ---------------------------------------------------------------------------
# Go
# ---------------------------------------------------------------------------

_GO_NAME = r"[\pL\pN_.]+"
_GO_SINGLE_RE = compile_linear(r'^\s*import\s+(?:%s\s+)?"([^"\s]{1,%d})"' % (_GO_NAME, _MAX_SPEC))
_GO_BLOCK_OPEN_RE = compile_linear(r"^\s*import\s*\(")
_GO_ENTRY_TAIL = r'"([^"\s]{1,%d})"\s*;?\s*(?://.*|/\*.*\*/\s*)?$' % _MAX_SPEC
_GO_BLOCK_ENTRY_RE = compile_linear(r"^\s*(?:%s\s+)?" % _GO_NAME + _GO_ENTRY_TAIL)
_GO_INDENTED_ENTRY_RE = compile_linear(r"^\s+(?:%s\s+)?" % _GO_NAME + _GO_ENTRY_TAIL)
_GO_QUOTED_RE = compile_linear(r'"([^"\s]{1,%d})"' % _MAX_SPEC)
_GO_DECL_RE = compile_linear(r"^(?:package|func|type|var|const)\b")


def resolve_go_import(import_path: str, go_module: str | None = None, module_dir: str = "") -> tuple[str, ...]:
    """Repository paths (directories) a Go import path may refer to.

    With ``go_module`` only paths inside that module count (the module prefix
    is cut off and ``module_dir``, the folder holding its ``go.mod``, put in
    front). Without it every trailing run of segments is a candidate, so
    ``github.com/org/repo/ee/x`` is checked as ``ee/x`` (and ``repo/ee/x`` …).
    """
    ip = import_path.strip().strip("/")
    if not ip or ".." in ip.split("/"):
        return ()
    if go_module:
        mod = go_module.strip().strip("/")
        if ip == mod:
            rel = ""
        elif ip.startswith(mod + "/"):
            rel = ip[len(mod) + 1:]
        else:
            return ()
        base = normalize_repo_path(module_dir or "")
        if base is None:
            return ()
        joined = normalize_repo_path(posixpath.join(base, rel) if base else rel)
        # The module root of a module at the repository root is not a sub-path by itself.
        return (joined,) if joined else ()
    segs = [s for s in ip.split("/") if s]
    return _dedupe("/".join(segs[i:]) for i in range(len(segs)))


GoModules = Sequence[tuple[str, str]]


def _go_targets(import_path: str, go_module: str | None, go_modules: GoModules) -> tuple[str, ...]:
    """Targets of an import against every known module (``(module path, folder)`` pairs)."""
    modules = list(go_modules) or ([(go_module, "")] if go_module else [])
    if not modules:
        return resolve_go_import(import_path)
    return _dedupe(t for mod, folder in modules for t in resolve_go_import(import_path, mod, folder))


def _go_refs(lines: list[PatchLine], go_module: str | None, go_modules: GoModules = ()) -> list[ImportRef]:
    out: list[ImportRef] = []
    state = "unknown"  # "unknown" (hunk may start inside a block), "in", "out"
    hunk = None
    for pl in lines:
        if pl.hunk != hunk:
            hunk = pl.hunk
            state = "unknown"
        if pl.kind == "-":
            continue
        text = pl.text
        added = pl.kind == "+"
        paths: list[str] = []
        if _GO_BLOCK_OPEN_RE.match(text):
            after = text[text.index("(") + 1:]
            if ")" in after:
                paths.extend(_GO_QUOTED_RE.findall(after.split(")", 1)[0]))
                state = "out"
            else:
                paths.extend(_GO_QUOTED_RE.findall(after))
                state = "in"
        else:
            sm = _GO_SINGLE_RE.match(text)
            if sm:
                paths.append(sm.group(1))
            elif state == "in":
                em = _GO_BLOCK_ENTRY_RE.match(text)
                if em:
                    paths.append(em.group(1))
                elif text.strip().startswith(")"):
                    state = "out"
            elif state == "unknown":
                em = _GO_INDENTED_ENTRY_RE.match(text)
                if em:
                    paths.append(em.group(1))
                elif text.strip().startswith(")") or _GO_DECL_RE.match(text):
                    state = "out"
        if not added:
            continue
        for ip in paths:
            targets = _go_targets(ip, go_module, go_modules)
            if targets:
                out.append(ImportRef(pl.new_line or 0, _statement(text), ip, targets, LANG_GO))
    return out


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def find_imports(
    path: str,
    patch: str | None,
    *,
    aliases: AliasMap = DEFAULT_ALIASES,
    python_roots: Iterable[str] = DEFAULT_PYTHON_ROOTS,
    go_module: str | None = None,
    go_modules: GoModules = (),
) -> list[ImportRef]:
    """Every import on an added line of ``patch`` that resolves to a repository
    path (third-party imports are dropped), in line order.

    For Python ``from X import a`` the targets include ``X/a`` as well.
    """
    lang = language_for(path)
    if lang is None or not patch:
        return []
    lines = parse_patch(patch)
    if lang == LANG_PYTHON:
        refs = []
        for ref, name_targets, _ in _python_refs(path, lines, python_roots):
            refs.append(ImportRef(ref.line, ref.statement, ref.specifier,
                                  _dedupe(ref.targets + name_targets), ref.language))
        return refs
    if lang == LANG_JS:
        return _js_refs(path, lines, aliases or {})
    return _go_refs(lines, go_module, go_modules)


def _first_hit(targets: Iterable[str], commercial: CommercialPaths, lang: str) -> str | None:
    for t in targets:
        if commercial.matches_module_dir(t, lang):
            return t
    return None


def find_forbidden_imports(
    path: str,
    patch: str | None,
    commercial: CommercialPaths,
    *,
    aliases: AliasMap = DEFAULT_ALIASES,
    python_roots: Iterable[str] = DEFAULT_PYTHON_ROOTS,
    go_module: str | None = None,
    go_modules: GoModules = (),
) -> list[ForbiddenImport]:
    """Added lines of ``path`` (a non-commercial file) that import commercial code.

    ``patch`` is the unified diff of the file (GitHub's ``patch`` field).
    ``aliases`` maps JS/TS import prefixes to repository paths, e.g.
    ``{"@/": "src/", "~/": "", "@ee/*": ["ee/*"], "@acme/ee": "packages/ee"}``.
    ``python_roots`` are the directories absolute Python imports resolve from.
    ``go_module`` is the repository's Go module path (``github.com/org/repo``);
    ``go_modules`` lists ``(module path, folder of its go.mod)`` pairs instead,
    for repositories with several (nested) modules.
    Returns [] for files that are themselves commercial, and for unknown languages.
    """
    if not commercial or not patch or commercial.matches(path):
        return []
    lang = language_for(path)
    if lang is None:
        return []
    lines = parse_patch(patch)
    found: list[ForbiddenImport] = []
    seen: set[tuple[int, str]] = set()

    def report(ref: ImportRef, target: str) -> None:
        key = (ref.line, target)
        if key not in seen:
            seen.add(key)
            found.append(ForbiddenImport(path, ref.line, ref.statement, target))

    if lang == LANG_PYTHON:
        for ref, name_targets, block in _python_refs(path, lines, python_roots):
            hit = _first_hit(ref.targets, commercial, LANG_PYTHON)
            if hit is None and name_targets:
                for nt in name_targets:
                    if commercial.matches_module_dir(nt, LANG_PYTHON):
                        report(ref, nt)
                continue
            if hit is not None:
                if block is not None:
                    block.opener_flagged_targets = (hit,)
                report(ref, hit)
    else:
        refs = _js_refs(path, lines, aliases or {}) if lang == LANG_JS else _go_refs(lines, go_module, go_modules)
        for ref in refs:
            hit = _first_hit(ref.targets, commercial, lang)
            if hit is not None:
                report(ref, hit)
    found.sort(key=lambda f: f.line)
    return found

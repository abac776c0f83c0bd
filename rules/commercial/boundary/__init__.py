"""Open-core import boundary: pure, I/O-free helpers for the commercial-path rule.

* :class:`CommercialPaths` matches repository paths against ``commercial.paths``
  (gitignore semantics).
* :func:`find_forbidden_imports` reports added lines of a non-commercial file's
  diff that import commercial code (Python, JavaScript/TypeScript, Go).
"""

from .imports import (
    DEFAULT_PYTHON_ROOTS,
    ForbiddenImport,
    ImportRef,
    find_forbidden_imports,
    find_imports,
    language_for,
    patch_from_contents,
    resolve_go_import,
    resolve_js_specifier,
    resolve_python_module,
)
from .paths import CommercialPaths, normalize_repo_path

__all__ = [
    "CommercialPaths",
    "DEFAULT_PYTHON_ROOTS",
    "ForbiddenImport",
    "ImportRef",
    "find_forbidden_imports",
    "find_imports",
    "language_for",
    "normalize_repo_path",
    "patch_from_contents",
    "resolve_go_import",
    "resolve_js_specifier",
    "resolve_python_module",
]

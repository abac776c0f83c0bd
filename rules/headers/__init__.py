"""The pure core of the licence-header rule: no I/O, no GitHub, only text in and facts out.

- :mod:`.languages`: our comment-syntax table and file-type detection;
- :mod:`.spdx`: SPDX expressions compared as expressions;
- :mod:`.check`: reading a file's leading comment block, verdicts per file;
- :mod:`.fix`: the header to paste, and inserting it safely (``--fix``);
- :mod:`.gitattributes`: ``linguist-generated`` / ``linguist-vendored`` lookups;
- :mod:`.policy`: a rules file's scope (include/exclude/paths/prose) and per-file verdicts;
- :mod:`.patch`: an added file's content from its PR patch;
- :mod:`.report`: the status description and the report section's Markdown.

Not imported here, because they reach beyond text: :mod:`.config` (the rules-file
section), :mod:`.github` (batched reads at a PR head) and :mod:`.cli` (``headers check``).
"""

from .check import (
    FileVerdict,
    HeaderInfo,
    TagLine,
    VerdictKind,
    check_file,
    copyright_from_template,
    copyright_pattern,
    find_header,
    is_generated,
)
from .fix import header_for, insert_header, render_header
from .gitattributes import GitAttributes, parse_gitattributes
from .languages import (
    LANGUAGES,
    BlockComment,
    Detection,
    Language,
    Prelude,
    SkipReason,
    classify,
    detect_language,
    language_by_name,
)
from .spdx import ParsedExpression, SpdxError, expressions_equal, parse_expression

__all__ = [
    "BlockComment",
    "Detection",
    "FileVerdict",
    "GitAttributes",
    "HeaderInfo",
    "LANGUAGES",
    "Language",
    "ParsedExpression",
    "Prelude",
    "SkipReason",
    "SpdxError",
    "TagLine",
    "VerdictKind",
    "check_file",
    "classify",
    "copyright_from_template",
    "copyright_pattern",
    "detect_language",
    "expressions_equal",
    "find_header",
    "header_for",
    "insert_header",
    "is_generated",
    "language_by_name",
    "parse_expression",
    "parse_gitattributes",
    "render_header",
]

"""The pure core of the licence-header rule: no I/O, no GitHub, only text in and facts out.

- `languages`: our comment-syntax table and file-type detection;
- `spdx`: SPDX expressions compared as expressions;
- `check`: reading a file's leading comment block, verdicts per file;
- `fix`: the header to paste, and inserting it safely (`--fix`);
- `policy`: a rules file's scope (include/exclude/paths/prose) and per-file verdicts.

Nothing is imported here, so that importing one module does not pay for the others
(building the SPDX licence index takes a noticeable part of a second).
"""

"""Helpers of the triage rule (`rules/triage.py`), kept pure where they can be.

- :mod:`.config`: the `triage:` section of the rules file and its validators;
- :mod:`.keywords`: rules-file regexes run in RE2 (linear time) on issue text;
- :mod:`.paths`: gitignore-style globs on a pull request's changed files;
- :mod:`.size`: the size label, with generated files left out;
- :mod:`.memory`: which labels the bot applied and which a person added or removed;
- :mod:`.commands`: arguments and replies of `/label`, `/remove-label`, `/assign`, `/unassign`.
"""

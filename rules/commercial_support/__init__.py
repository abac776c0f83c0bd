"""Building blocks of the commercial-path rule (`rules/commercial.py`): configuration
(`config`), what the rule works out (`evaluation`), what contributors read (`render`),
reading files from GitHub (`sources`), the import check (`import_scan`) and stored
approvals (`approvals`)."""

"""Building blocks of the CLA rule (`rules/cla.py`): configuration, identities, signatures,
what contributors read, and the `governance-bot cla` commands."""

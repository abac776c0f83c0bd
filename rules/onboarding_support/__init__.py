"""Building blocks of the onboarding rule (`rules/onboarding.py`): `memory` holds the tables of
who was welcomed, greeted, celebrated and mentored, and every read and write of them;
`templates` parses, checks and fills the message templates (and holds the default ones),
escaping what contributors typed; `history` reads who the author of a contribution is and
what they did in the repository before, and what the messages link to (the CONTRIBUTING
file, the CLA)."""

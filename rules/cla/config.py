"""The `cla` section of the rules file, and the sign-phrase matching it implies.

Login globs (`allowlist`) are the shared ones of `rules.common.logins`.
A comment signs when the commenter's own words (quotes left out) are the sign phrase,
compared after normalising case, whitespace and closing punctuation, so a phrase typed on
two lines or in capitals still signs, and a reply quoting it does not.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from bot.rule import RuleConfig
from rules.common.logins import check_login_globs

DEFAULT_SIGN_PHRASE = "I have read the CLA Document and I hereby sign the CLA"
MAX_PHRASE_CHARS = 1000
MAX_SIGNING_COMMENT_CHARS = 8 * MAX_PHRASE_CHARS  # a longer comment is not just the phrase
_ORG_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_WHITESPACE = re.compile(r"\s+")


def normalise_phrase(text: str) -> str:
    """Case-folded, every run of whitespace (line breaks included) one space, trimmed, and
    without closing punctuation (`... sign the CLA.` is the phrase)."""
    return _WHITESPACE.sub(" ", text.casefold()).strip().rstrip(".!").rstrip()


def own_words(comment_body: str) -> str:
    """What the commenter wrote themselves (SPEC: "the comment, quoted lines and code aside"):
    quoted lines (`>`, e.g. a quote-reply of the report that shows the phrase), code (fenced
    blocks, inline spans), HTML comments and command lines (`/recheck`, addressed to the bot)
    are left out. Linear in the comment."""
    kept: list[str] = []
    fence = ""
    for line in _without_html_comments(comment_body).split("\n"):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:len(stripped) - len(stripped.lstrip(stripped[0]))]
            continue
        if not _not_own_words(stripped):
            kept.append(" ".join(stripped.split("`")[::2]))  # inline code spans left out
    return "\n".join(kept)


def _not_own_words(line: str) -> bool:
    return line.startswith(">") or (line[:1] == "/" and line[1:2].isascii() and line[1:2].islower())


def _without_html_comments(text: str) -> str:
    parts: list[str] = []
    start = 0
    while (opening := text.find("<!--", start)) >= 0:
        parts.append(text[start:opening])
        closing = text.find("-->", opening + 4)
        if closing < 0:
            return "".join(parts)
        start = closing + 3
    parts.append(text[start:])
    return "".join(parts)


def signs(comment_body: str | None, sign_phrase: str) -> bool:
    """Whether a comment, in the commenter's own words (`own_words`), IS the sign phrase once
    both are normalised: a comment that only contains it (`I do NOT agree` under a quote of
    it, or around it) does not consent."""
    if not comment_body or len(comment_body) > MAX_SIGNING_COMMENT_CHARS:
        return False
    phrase = normalise_phrase(sign_phrase)
    return bool(phrase) and normalise_phrase(own_words(comment_body)) == phrase


def _as_version(value: object) -> object:
    """YAML reads `version: 2` as a number; versions are labels, so keep them as text."""
    if isinstance(value, bool):
        return value  # let pydantic reject it with its own message
    if isinstance(value, (int, float)):
        return str(value)
    return value


class ClaConfig(RuleConfig):
    """`cla:` in `.github/governance.yml`."""

    document: str = Field(description="Link to the CLA text, shown to contributors.")
    version: str = Field(default="1", description="The current CLA version; bump it to require signing again.")
    sign_phrase: str = Field(default=DEFAULT_SIGN_PHRASE,
                             description="What a contributor comments to sign (case and whitespace ignored).")
    accepts: list[str] = Field(default_factory=list, description="Older versions whose signatures still count.")
    allowlist: list[str] = Field(default_factory=lambda: ["*[bot]"],
                                 description="Logins that never need to sign; globs with * and ? only.")
    exempt_org_members: bool = Field(default=False,
                                     description="Members of the organisation owning the repository need not sign.")
    covered_organizations: list[str] = Field(default_factory=list,
                                             description="Corporate CLAs: members of these organisations are covered.")
    co_authors: bool = Field(default=True, description="Co-authored-by trailers must sign too.")

    @field_validator("document")
    @classmethod
    def _document(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"https?://[^\s<>\"`]+", value):
            raise ValueError("must be an http(s) link to the CLA text, e.g. https://example.org/cla.md")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        return _as_version(value)

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 64:
            raise ValueError("must be a short non-empty label, e.g. \"1\" or \"2024-01\"")
        return value

    @field_validator("accepts", mode="before")
    @classmethod
    def _accepts_text(cls, value: object) -> object:
        return [_as_version(v) for v in value] if isinstance(value, list) else value

    @field_validator("accepts")
    @classmethod
    def _accepts(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not v for v in cleaned):
            raise ValueError("versions must not be empty")
        return cleaned

    @field_validator("sign_phrase")
    @classmethod
    def _sign_phrase(cls, value: str) -> str:
        normalised = normalise_phrase(value)
        if len(normalised) < 3:
            raise ValueError("must be a phrase of at least a few characters")
        if len(value) > MAX_PHRASE_CHARS:
            raise ValueError(f"must be at most {MAX_PHRASE_CHARS} characters")
        return value.strip()

    @field_validator("allowlist")
    @classmethod
    def _allowlist(cls, value: list[str]) -> list[str]:
        return check_login_globs(value)

    @field_validator("covered_organizations")
    @classmethod
    def _organizations(cls, value: list[str]) -> list[str]:
        for org in value:
            if not _ORG_LOGIN.fullmatch(org):
                raise ValueError(f"{org!r} is not an organisation login")
        return value

    def counted_versions(self) -> list[str]:
        """The versions whose signatures count: the current one and `accepts`."""
        return list(dict.fromkeys([self.version, *self.accepts]))

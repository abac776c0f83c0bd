"""Test helpers for the DCO rule on top of the fake GitHub.

- commit specs with or without `Signed-off-by:` trailers, for `add_pull_request(commits=...)`
  (the CLA helpers build the authors: `tests.fake_ext_cla.commit_by`/`commit_by_email`);
- merge commits: GitHub gives a merge commit two `parents`. The fake's builders give every
  commit one, so `make_merge` adds the second parent to a commit the fake already holds.
"""

from __future__ import annotations

from typing import Any

from tests.fake_ext_cla import commit_by, commit_by_email, noreply, sha


def signed_off(message: str, name: str, email: str) -> str:
    return f"{message}\n\nSigned-off-by: {name} <{email}>"


def signed_commit_by(fake, login: str, *, message: str = "Change things", sign_as: tuple[str, str] | None = None,
                     **kwargs: Any) -> dict[str, Any]:
    """A commit by `login` (noreply address), signed off by them unless `sign_as` names someone."""
    name, email = sign_as or (login, noreply(fake, login))
    return commit_by(fake, login, message=signed_off(message, name, email), **kwargs)


def signed_commit_by_email(name: str, email: str, *, message: str = "Change things",
                           sign_as: tuple[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    sign_name, sign_email = sign_as or (name, email)
    return commit_by_email(name, email, message=signed_off(message, sign_name, sign_email), **kwargs)


def make_merge(fake, full_name: str, commit_sha: str, second_parent: str | None = None) -> None:
    """Give a commit the fake already holds a second parent, as GitHub shows a merge commit."""
    commit = fake._repo(full_name).commits[commit_sha]
    other = second_parent or sha(f"merged-into:{commit_sha}")
    commit["parents"].append({"sha": other, "url": f"{fake.url}/repos/{full_name}/commits/{other}",
                              "html_url": f"https://github.com/{full_name}/commit/{other}"})

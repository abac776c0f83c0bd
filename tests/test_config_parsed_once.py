"""A rules file's text is parsed and validated once (bot.config.load's memory), never served stale."""

from __future__ import annotations

import base64
import http

import gidgethub

from bot import config
from tests.harness import rules_with_probe


class Files:
    """Just enough of a GitHub client for `config.load`: the contents API over a dict of texts."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    async def getitem(self, url: str):
        repository = url.removeprefix("/repos/").split("/contents/")[0]
        if repository not in self.texts:
            raise gidgethub.BadRequest(http.HTTPStatus.NOT_FOUND)
        text = self.texts[repository].encode()
        return {"type": "file", "size": len(text), "content": base64.b64encode(text).decode()}


def counting(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = config.parse_yaml

    def parse_yaml(text: str, source: str = ""):
        parsed.append(text)
        return real(text, source)

    monkeypatch.setattr(config, "parse_yaml", parse_yaml)
    return parsed


async def test_the_same_text_is_parsed_once_and_a_changed_one_again(monkeypatch):
    rules = rules_with_probe()
    parsed = counting(monkeypatch)
    files = Files({"memo1/widgets": "probe:\n  title_prefix: memo-a\n"})
    first = await config.load(files, "memo1", "memo1/widgets", rules)
    second = await config.load(files, "memo1", "memo1/widgets", rules)
    assert second is first and first.section("probe").title_prefix == "memo-a"
    assert len(parsed) == 1
    files.texts["memo1/widgets"] = "probe:\n  title_prefix: memo-b\n"
    changed = await config.load(files, "memo1", "memo1/widgets", rules)
    assert changed.section("probe").title_prefix == "memo-b" and len(parsed) == 2


async def test_a_large_text_is_not_kept(monkeypatch):
    rules = rules_with_probe()
    parsed = counting(monkeypatch)
    padding = "# " + "x" * config.PARSED_TEXT_CHARS + "\n"
    files = Files({"memo2/widgets": padding + "probe:\n  title_prefix: big\n"})
    for _ in range(2):
        assert (await config.load(files, "memo2", "memo2/widgets", rules)).section("probe").title_prefix == "big"
    assert len(parsed) == 2

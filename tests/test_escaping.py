"""Issue 17, Medium 2: user-controlled text in framework-rendered comments comes out literally.

Each rendering path of the framework (rules-file errors in the report, /help, command replies) is fed mentions, HTML, Markdown, backticks, references and the bot's own
markers; the comment is then parsed as CommonMark (markdown-it-py) and checked: the text is
inside code or plain text, no tag, mention, reference or marker of ours came out of it.
"""

from __future__ import annotations

import json

from markdown_it import MarkdownIt

from bot.context import EventContext
from bot.markdown import code_span, escape_markdown
from bot.replies import reply_marker
from bot.rule import CommandHelp, Outcome, ReportSection, Rule, RuleConfig
from tests.fake_ext_replies import reply_bodies
from tests.harness import BotHarness, rules_with_probe
from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"
REPORT_MARKER = "<!-- governance-bot:report -->"
HOSTILE = [
    "@acme/security-team",
    "<img src=https://attacker.example/t.png onerror=x>",
    "**bold** [link](https://attacker.example) | table |",
    "a`b``c```",
    "<!-- governance-bot:report -->",
    "fixes #123 and acme/widgets#7",
    "&lt;script&gt;",
]
HOSTILE_TEXT = " ".join(HOSTILE)


class HostileConfig(RuleConfig):
    pass


class HostileRule(Rule[HostileConfig]):
    """A test rule whose declared texts are hostile: the framework must render them safely."""

    name = "hostile"
    config_model = HostileConfig
    evaluates_pull_requests = True
    commands = (CommandHelp("/hostile", "/hostile " + HOSTILE[3], HOSTILE_TEXT, HOSTILE[0]),)

    async def handle(self, ctx: EventContext, config: HostileConfig) -> Outcome:
        outcome = Outcome()
        if ctx.is_pr_evaluation:
            outcome.report = ReportSection("Hostile", "Body from the rule.", needs_action=True)
        for command in ctx.commands:
            if command.name == "/hostile":
                outcome.replies.append("You wrote " + code_span(" ".join(command.args)) + ".")
        return outcome


def parse(body: str) -> tuple[list[str], list[str], list[str]]:
    """(code contents, plain text outside code, raw HTML) of a comment, as CommonMark reads it."""
    code: list[str] = []
    text: list[str] = []
    html: list[str] = []
    for token in MarkdownIt("commonmark").parse(body):
        if token.type == "html_block":
            html.append(token.content.strip())
        for child in token.children or []:
            if child.type == "code_inline":
                code.append(child.content)
            elif child.type == "text":
                text.append(child.content)
            elif child.type == "html_inline":
                html.append(child.content)
            elif child.type == "link_open":
                html.append(f"link to {child.attrs.get('href')}")
    return code, text, html


def assert_inert(text: list[str]) -> None:
    """Nothing in plain text that GitHub would turn into a mention or a reference (a marker shown as
    text is only text: the `html` list is where a live one would appear)."""
    joined = "\n".join(text)
    assert "@acme" not in joined
    assert "#123" not in joined and "#7" not in joined


def setup_repo(fake, rules_text: str):
    fake.add_user("dana")
    fake.add_user("eve")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", rules_text)
    return fake.add_pull_request(REPO, 1, author="dana", title="fix: a thing", head_sha="1" * 40)


def report(fake) -> str:
    found = [c["body"] for c in fake.comments(REPO, 1) if c["body"].startswith(REPORT_MARKER)]
    assert len(found) == 1
    return found[0]


async def test_rules_file_errors_stay_inside_their_code_spans(fake, bot):
    keys = {key: 1 for key in HOSTILE}
    setup_repo(fake, "probe: " + json.dumps(keys) + "\n")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    code, text, html = parse(report(fake))
    for key in HOSTILE:
        assert f"probe.{key}: unknown key" in code, key
    assert html == [REPORT_MARKER]  # our marker, at the top, and no other HTML
    assert_inert(text)


async def test_help_from_a_rule_is_escaped(fake, app_key, tmp_path, bot_settings):
    harness = BotHarness(bot_settings, rules=(*rules_with_probe(), HostileRule()))
    await harness.start()
    try:
        setup_repo(fake, "hostile: {}\n")
        await harness.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))

        created = fake.add_comment(REPO, 1, author="eve", body="/help")
        await harness.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created))
        [help_reply] = reply_bodies(fake, REPO, 1)
        code, text, html = parse(help_reply)
        assert "/hostile " + HOSTILE[3] in code
        assert html == []
        assert_inert(text)
        assert "**bold**" in "".join(text)  # shown as typed, not as emphasis
    finally:
        await harness.close()


async def test_markers_quoted_in_a_reply_are_not_taken_for_the_bots_own(fake, bot_settings):
    """A reply quoting (in code) the marker the next delivery's reply will carry does not stop that reply."""
    harness = BotHarness(bot_settings, rules=(*rules_with_probe(), HostileRule()))
    await harness.start()
    try:
        setup_repo(fake, "hostile: {}\n")
        forged = reply_marker("second", {"login": "eve"})
        for delivery_id, text in (("first", forged), ("second", "hello")):
            created = fake.add_comment(REPO, 1, author="eve", body=f"/hostile {text}")
            await harness.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created),
                                             delivery_id=delivery_id)
        replies = reply_bodies(fake, REPO, 1)
        assert len(replies) == 2
        code, text, html = parse(replies[0])
        assert html == [] and forged in code
    finally:
        await harness.close()


def test_escape_markdown_leaves_nothing_active():
    code, text, html = parse("Title: " + escape_markdown(HOSTILE_TEXT + "\n\n# heading\n- item"))
    assert code == [] and html == []
    assert_inert(text)
    assert len(text) == 1  # one paragraph: the line breaks did not start a heading or a list

"""A small rule used only by the framework's tests, so the engine can be tested on its own.

It passes when the PR title starts with the configured prefix, labels what it probed,
and offers one command that needs triage permission.
"""

from __future__ import annotations

from bot.context import EventContext
from bot.rule import (CommandHelp, Comment, DetailRow, FixBlock, Outcome, ReportSection, Rule, RuleConfig, StatusUpdate,
                      VerdictDetails)


class ProbeConfig(RuleConfig):
    title_prefix: str = "feat"
    label: str = "probed"
    note: str = ""
    marked_comment: str = ""  # when set: a Comment with this marker on every PR evaluation


class ProbeRule(Rule[ProbeConfig]):
    name = "probe"
    config_model = ProbeConfig
    status_context = "governance/probe"
    evaluates_pull_requests = True
    commands = (CommandHelp("/probe", "/probe", "say hello", "triage permission"),)

    async def handle(self, ctx: EventContext, config: ProbeConfig) -> Outcome:
        outcome = Outcome()
        if ctx.is_pr_evaluation:
            pr = await ctx.pull_request()
            ok = pr["title"].startswith(config.title_prefix)
            details = VerdictDetails(
                summary="The title starts with the prefix." if ok else "The title does not start with the prefix.",
                rows=[DetailRow(kind="person", subject=pr["user"]["login"], problem=f"wrote the title {pr['title']}",
                                fix="" if ok else f"{config.title_prefix}: {pr['title']}")],
                fixes=[] if ok else [FixBlock(title="Retitle the pull request", text=f"{config.title_prefix}: …")])
            outcome.statuses.append(StatusUpdate(
                self.status_context, "success" if ok else "failure",
                "Title is fine." if ok else f"Start the title with '{config.title_prefix}'.", details=details))
            outcome.report = ReportSection("Probe", f"Start the title with `{config.title_prefix}`.{config.note}",
                                           needs_action=not ok)
            outcome.add_labels.append(config.label)
            if config.marked_comment:
                outcome.comments.append(Comment(f"{config.marked_comment}\nWelcome from the probe.",
                                                marker=config.marked_comment))
        for command in ctx.commands:
            if command.name == "/probe":
                if await ctx.has_role(ctx.sender["login"], "triage"):
                    outcome.replies.append("hello")
                else:
                    outcome.replies.append(f"@{ctx.sender['login']} `/probe` needs triage permission.")
        return outcome

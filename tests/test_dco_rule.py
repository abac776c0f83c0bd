"""The DCO rule end to end: signed webhooks in, the fake GitHub's statuses and comments out (SPEC §3–§5)."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from tests.fake_ext_cla import (
    WEB_FLOW,
    add_merge_group,
    add_web_flow,
    commit_by,
    commit_by_email,
    merge_group_event,
    noreply,
    sha,
)
from tests.fake_ext_dco import make_merge, signed_commit_by, signed_commit_by_email, signed_off
from tests.fake_ext_push import push
from tests.harness import reports, the_report
from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"
CONTEXT = "governance/dco"
RULES = "dco: {}\n"
INDIVIDUAL = "dco:\n  allow_remediation_commits:\n    individual: true\n"
THIRD_PARTY = "dco:\n  allow_remediation_commits:\n    third_party: true\n"
BOTH = "dco:\n  allow_remediation_commits: {individual: true, third_party: true}\n"


def setup_repo(fake, rules: str = RULES, full_name: str = REPO, **kwargs) -> None:
    fake.add_repo(full_name, **kwargs)
    fake.set_file(full_name, ".github/governance.yml", rules)


def open_pr(fake, number: int, author: str, commits: list[dict], *, full_name: str = REPO, **kwargs) -> dict:
    fake.add_user(author)
    return fake.add_pull_request(full_name, number, author=author, commits=commits, **kwargs)


async def change_rules(fake, bot, rules: str) -> None:
    """Push a new rules file to the default branch, as GitHub announces it."""
    await bot.deliver_and_settle("push", push(fake, REPO, {".github/governance.yml": rules}))


async def evaluate(fake, bot, number: int, action: str = "opened", full_name: str = REPO) -> None:
    response = await bot.deliver_and_settle("pull_request", pull_request_event(fake, full_name, number, action))
    assert response.status == 202


def dco_status(fake, pr: dict, full_name: str = REPO) -> dict:
    status = fake.latest_status(full_name, pr["head"]["sha"], CONTEXT)
    assert status is not None, "no governance/dco status was set"
    assert len(status["description"]) <= 140
    return status


def fenced_blocks(body: str) -> list[str]:
    """The contents of the report's fenced code blocks, in order."""
    return [block for _fence, block in re.findall(r"^(`{3,})[a-z]*\n(.*?)\n\1$", body, flags=re.MULTILINE | re.DOTALL)]


# -- sign-offs -------------------------------------------------------------------------------------

async def test_signed_commits_pass_and_no_report_is_posted(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana", [signed_commit_by(fake, "dana"), signed_commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "success"
    assert status["description"] == "All 2 commits carry a Signed-off-by from the author."
    assert status["target_url"] == "https://developercertificate.org/"
    assert reports(fake, 1) == []


async def test_an_unsigned_head_commit_fails_with_the_amend_fix_and_the_report_names_it(fake, bot):
    setup_repo(fake)
    unsigned = commit_by(fake, "dana", message="Add the widget\n\nLonger text.")
    pr = open_pr(fake, 1, "dana", [signed_commit_by(fake, "dana"), unsigned])
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "failure"
    assert status["description"] == ("1 commit lacks the author's Signed-off-by: run git commit --amend --signoff "
                                     "--no-edit, then force-push (see the report).")
    body = the_report(fake, 1)
    assert f"- `{unsigned['sha'][:7]}` by dana: Add the widget (no sign-off)" in body
    assert "```sh\ngit commit --amend --signoff --no-edit\ngit push --force-with-lease\n```" in body
    assert "Remediation" not in body  # not allowed by default


async def test_fixing_the_commit_turns_the_status_green_and_edits_the_report(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana", [commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    report_id = reports(fake, 1)[0]["id"]
    fake.push(REPO, 1, head_sha=sha("amended"), commits=[signed_commit_by(fake, "dana", sha_value=sha("amended"))])
    await evaluate(fake, bot, 1, "synchronize")
    assert dco_status(fake, fake.pull_request(REPO, 1))["state"] == "success"
    assert [c["id"] for c in reports(fake, 1)] == [report_id]
    assert "Everything passes" in reports(fake, 1)[0]["body"]
    assert pr["head"]["sha"] == sha("amended")


async def test_several_unsigned_commits_are_counted_and_fixed_by_rebasing_from_the_oldest(fake, bot):
    setup_repo(fake)
    commits = [signed_commit_by(fake, "dana"), commit_by(fake, "dana", message="First"),
               signed_commit_by(fake, "dana"), commit_by(fake, "dana", message="Second"), signed_commit_by(fake, "dana")]
    pr = open_pr(fake, 1, "dana", commits)
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "failure"
    assert status["description"].startswith("2 commits lack the author's Signed-off-by: run git rebase --signoff HEAD~4,")
    body = the_report(fake, 1)
    assert "`git rebase --signoff HEAD~4`" not in body  # it is in the copyable block
    assert "```sh\ngit rebase --signoff HEAD~4\ngit push --force-with-lease\n```" in body
    assert body.index(commits[1]["sha"][:7]) < body.index(commits[3]["sha"][:7])


async def test_a_sign_off_with_another_email_does_not_count(fake, bot):
    setup_repo(fake)
    wrong = signed_commit_by(fake, "dana", sign_as=("dana", "dana@elsewhere.example"))
    pr = open_pr(fake, 1, "dana", [wrong])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"
    assert "(signed off by someone else, not its author)" in the_report(fake, 1)


async def test_a_sign_off_naming_someone_else_does_not_count_for_the_author(fake, bot):
    setup_repo(fake)
    fake.add_user("erin")
    by_erin = signed_commit_by(fake, "dana", sign_as=("erin", noreply(fake, "erin")))
    pr = open_pr(fake, 1, "dana", [by_erin])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"
    # Same display name, another person's address: still someone else.
    same_name = signed_commit_by(fake, "dana", sign_as=("dana", noreply(fake, "erin")))
    pr2 = open_pr(fake, 2, "dana", [same_name])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"


async def test_the_email_matches_in_any_case_and_the_name_need_not(fake, bot):
    setup_repo(fake)
    fake.add_user("dana", emails=["Dana@Example.org"])
    commit = commit_by_email("Dana D.", "Dana@Example.org",
                             message=signed_off("Change", "Dana Dev (work)", "dana@EXAMPLE.org"))
    pr = open_pr(fake, 1, "dana", [commit])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "success"


async def test_noreply_addresses_count_as_the_accounts(fake, bot):
    setup_repo(fake)
    user = fake.add_user("dana", emails=["dana@example.org"])
    both_forms = [
        commit_by_email("dana", "dana@example.org",
                        message=signed_off("One", "dana", f"{user['id']}+dana@users.noreply.github.com")),
        commit_by_email("dana", "dana@example.org", message=signed_off("Two", "dana", "DANA@users.noreply.github.com")),
    ]
    pr = open_pr(fake, 1, "dana", both_forms)
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "success"
    # A noreply address with another account's id is not the author's.
    spoof = commit_by_email("dana", "dana@example.org",
                            message=signed_off("Three", "dana", f"{user['id'] + 1}+dana@users.noreply.github.com"))
    pr2 = open_pr(fake, 2, "dana", [spoof])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"


async def test_an_unlinked_author_is_checked_on_the_email_alone(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    linked_noreply = noreply(fake, "dana")
    good = signed_commit_by_email("Casey", "casey@corp.example", sign_as=("Someone", "CASEY@corp.example"))
    pr = open_pr(fake, 1, "dana", [good])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "success"
    # No account: a noreply sign-off of some account cannot stand for the unlinked email.
    bad = signed_commit_by_email("Casey", "casey@corp.example", sign_as=("dana", linked_noreply))
    pr2 = open_pr(fake, 2, "dana", [bad])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"


async def test_co_authored_commits_need_the_authors_sign_off_not_the_co_authors(fake, bot):
    setup_repo(fake)
    fake.add_user("erin")
    co = f"Co-authored-by: erin <{noreply(fake, 'erin')}>"
    by_author = commit_by(fake, "dana", message=f"Pair work\n\n{co}\nSigned-off-by: dana <{noreply(fake, 'dana')}>")
    pr = open_pr(fake, 1, "dana", [by_author])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "success"
    by_co_author = commit_by(fake, "dana", message=f"Pair work\n\n{co}\nSigned-off-by: erin <{noreply(fake, 'erin')}>")
    pr2 = open_pr(fake, 2, "dana", [by_co_author])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"


async def test_a_merge_commit_needs_no_sign_off(fake, bot):
    setup_repo(fake)
    add_web_flow(fake)
    merge = commit_by(fake, "dana", message="Merge branch 'main' into feature", committer=WEB_FLOW)
    commits = [signed_commit_by(fake, "dana"), merge, signed_commit_by(fake, "dana")]
    pr = open_pr(fake, 1, "dana", commits)
    make_merge(fake, REPO, merge["sha"])
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "success" and status["description"].startswith("All 2 commits")
    # The same commit with one parent is an ordinary commit and must be signed.
    pr2 = open_pr(fake, 2, "dana", [signed_commit_by(fake, "dana"),
                                    commit_by(fake, "dana", message="Merge branch 'main' into feature")])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"


async def test_contributor_text_in_the_report_is_escaped(fake, bot):
    setup_repo(fake)
    evil = commit_by_email("<b>@admin</b> **x**", "x@corp.example",
                           message="[click](http://evil.example) @everyone <!-- governance-bot:report -->\n\nbody")
    open_pr(fake, 1, "dana", [evil])
    await evaluate(fake, bot, 1)
    body = the_report(fake, 1)
    line = next(line for line in body.splitlines() if evil["sha"][:7] in line)
    assert "<b>" not in line and "@admin" not in line and "@everyone" not in line and "**x**" not in line
    assert "[click](" not in line and "<!--" not in line
    assert body.count("<!-- governance-bot:report -->") == 1


# -- completeness ----------------------------------------------------------------------------------

async def test_300_commits_with_one_unsigned_in_the_middle(fake, bot):
    setup_repo(fake)
    commits = [signed_commit_by(fake, "dana", message=f"Step {i}") for i in range(300)]
    commits[150] = commit_by(fake, "dana", message="Step 150")
    pr = open_pr(fake, 1, "dana", commits)
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "failure"
    assert status["description"].startswith("1 commit lacks the author's Signed-off-by: run git rebase --signoff HEAD~150,")
    assert [r for r in fake.requests if "/compare/" in r.path]
    body = the_report(fake, 1)
    assert f"`{commits[150]['sha'][:7]}` by dana: Step 150" in body
    assert sum(1 for line in body.splitlines() if line.startswith("- `")) == 1


async def test_300_signed_commits_pass(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana", [signed_commit_by(fake, "dana") for _ in range(300)])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["description"] == "All 300 commits carry a Signed-off-by from the author."


async def test_an_incomplete_commit_list_fails_closed(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana", [signed_commit_by(fake, "dana") for _ in range(300)])

    async def short_compare(request, match, fake_):
        return web.json_response({"total_commits": 300, "commits": [], "files": []})

    fake.override("GET", rf"/repos/{REPO}/compare/.*", short_compare)
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "failure" and "cannot be checked" in status["description"]
    assert "partial view" in the_report(fake, 1)


# -- remediation commits ---------------------------------------------------------------------------

def individual_line(name: str, email: str, sha_value: str) -> str:
    return f"I, {name} <{email}>, hereby add my Signed-off-by to this commit: {sha_value}"


def third_party_line(author: tuple[str, str], signer: tuple[str, str], sha_value: str) -> str:
    return (f"On behalf of {author[0]} <{author[1]}>, I, {signer[0]} <{signer[1]}>, "
            f"hereby add my Signed-off-by to this commit: {sha_value}")


async def test_the_report_gives_the_remediation_commits_in_the_dco_apps_format(fake, bot):
    setup_repo(fake, BOTH)
    dana = ("Dana D", "dana@example.org")
    fake.add_user("dana", emails=[dana[1]])
    first, second = commit_by_email(*dana, message="One"), commit_by_email(*dana, message="Two")
    open_pr(fake, 1, "dana", [first, second])
    await evaluate(fake, bot, 1)
    blocks = fenced_blocks(the_report(fake, 1))
    assert ("DCO Remediation Commit for Dana D <dana@example.org>\n\n"
            + individual_line(*dana, first["sha"]) + "\n" + individual_line(*dana, second["sha"])
            + "\n\nSigned-off-by: Dana D <dana@example.org>") in blocks
    assert ("Third-Party DCO Remediation Commit for Dana D <dana@example.org>\n\n"
            + third_party_line(dana, ("YOUR_NAME", "YOUR_EMAIL"), first["sha"]) + "\n"
            + third_party_line(dana, ("YOUR_NAME", "YOUR_EMAIL"), second["sha"])
            + "\n\nSigned-off-by: YOUR_NAME <YOUR_EMAIL>") in blocks


async def test_the_reports_individual_remediation_text_fixes_the_pull_request(fake, bot):
    setup_repo(fake, INDIVIDUAL)
    dana = ("Dana D", "dana@example.org")
    fake.add_user("dana", emails=[dana[1]])
    commits = [commit_by_email(*dana, message="One"), signed_commit_by_email(*dana), commit_by_email(*dana)]
    pr = open_pr(fake, 1, "dana", commits)
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"
    text = next(b for b in fenced_blocks(the_report(fake, 1)) if b.startswith("DCO Remediation Commit"))
    remediation = commit_by_email(*dana, message=text, sha_value=sha("remediation"))
    fake.push(REPO, 1, head_sha=remediation["sha"], commits=[*commits, remediation])
    await evaluate(fake, bot, 1, "synchronize")
    assert dco_status(fake, fake.pull_request(REPO, 1))["state"] == "success"


async def test_individual_remediation_counts_only_when_allowed(fake, bot):
    setup_repo(fake, RULES)
    dana = ("dana", "dana@example.org")
    fake.add_user("dana", emails=[dana[1]])
    unsigned = commit_by_email(*dana)
    fix = commit_by_email(*dana, message=signed_off(individual_line(*dana, unsigned["sha"]), *dana))
    pr = open_pr(fake, 1, "dana", [unsigned, fix])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"
    await change_rules(fake, bot, THIRD_PARTY)  # third party alone does not allow it either
    pr2 = open_pr(fake, 2, "dana", [unsigned, fix])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"


@pytest.mark.parametrize("case", ["another author", "another sha", "short sha", "unsigned fix", "names someone else"])
async def test_an_individual_remediation_counts_only_for_the_commit_and_author_it_names(fake, bot, case):
    setup_repo(fake, INDIVIDUAL)
    dana, erin = ("dana", "dana@example.org"), ("erin", "erin@example.org")
    fake.add_user("dana", emails=[dana[1]])
    fake.add_user("erin", emails=[erin[1]])
    unsigned = commit_by_email(*dana)
    other = signed_commit_by_email(*dana)
    statement = {
        "another author": (dana, unsigned["sha"], erin),  # erin writes dana's statement in her own commit
        "another sha": (dana, other["sha"], dana),
        "short sha": (dana, unsigned["sha"][:12], dana),
        "unsigned fix": (dana, unsigned["sha"], None),
        "names someone else": (erin, unsigned["sha"], erin),
    }[case]
    named, target, author = statement
    line = individual_line(*named, target)
    fix = (commit_by_email(*dana, message=line) if author is None
           else commit_by_email(*author, message=signed_off(line, *author)))
    pr = open_pr(fake, 1, "dana", [unsigned, other, fix])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"
    assert unsigned["sha"][:7] in the_report(fake, 1)


async def test_third_party_remediation_by_the_remediation_commits_author(fake, bot):
    setup_repo(fake, THIRD_PARTY)
    dana, lead = ("dana", "dana@example.org"), ("Lee Lead", "lee@corp.example")
    fake.add_user("dana", emails=[dana[1]])
    unsigned = commit_by_email(*dana)
    fix = commit_by_email(*lead, message=signed_off("Sign off for dana\n\n" + third_party_line(dana, lead, unsigned["sha"]),
                                                    *lead))
    pr = open_pr(fake, 1, "dana", [unsigned, fix])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "success"


async def test_third_party_remediation_by_the_committer_and_only_when_allowed(fake, bot):
    setup_repo(fake, INDIVIDUAL)
    dana, lead, bob = ("dana", "dana@example.org"), ("Lee Lead", "lee@corp.example"), ("bob", "bob@example.org")
    fake.add_user("dana", emails=[dana[1]])
    unsigned = commit_by_email(*dana)
    # bob authors it, Lee commits it and signs off on dana's behalf; bob signs his own commit.
    message = f"Fix\n\n{third_party_line(dana, lead, unsigned['sha'])}\n\nSigned-off-by: bob <{bob[1]}>\n" \
              f"Signed-off-by: {lead[0]} <{lead[1]}>"
    fix = commit_by_email(*bob, message=message)
    fix["committer"] = {"name": lead[0], "email": lead[1]}
    pr = open_pr(fake, 1, "dana", [unsigned, fix])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"  # individual only: a third party cannot
    await change_rules(fake, bot, BOTH)
    await evaluate(fake, bot, 1, "synchronize")
    assert dco_status(fake, pr)["state"] == "success"


@pytest.mark.parametrize("case", ["signer is not author or committer", "signer did not sign off", "another author"])
async def test_a_third_party_remediation_counts_only_as_it_names(fake, bot, case):
    setup_repo(fake, THIRD_PARTY)
    dana, lead, erin = ("dana", "dana@example.org"), ("Lee Lead", "lee@corp.example"), ("erin", "erin@example.org")
    fake.add_user("dana", emails=[dana[1]])
    unsigned = commit_by_email(*dana)
    if case == "signer is not author or committer":
        fix = commit_by_email(*erin, message=signed_off(third_party_line(dana, lead, unsigned["sha"]), *erin)
                              + f"\nSigned-off-by: {lead[0]} <{lead[1]}>")
    elif case == "signer did not sign off":
        fix = commit_by_email(*lead, message=signed_off(third_party_line(dana, lead, unsigned["sha"]), *erin))
    else:
        fix = commit_by_email(*lead, message=signed_off(third_party_line(erin, lead, unsigned["sha"]), *lead))
    pr = open_pr(fake, 1, "dana", [unsigned, fix])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"


# -- who is exempt ---------------------------------------------------------------------------------

async def test_allowlisted_bots_need_no_sign_off_and_others_do(fake, bot):
    setup_repo(fake)
    fake.add_user("dependabot[bot]", type="Bot")
    fake.add_user("helper-bot", type="Bot")
    pr = open_pr(fake, 1, "dana", [commit_by(fake, "dependabot[bot]"), signed_commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    status = dco_status(fake, pr)
    assert status["state"] == "success" and status["description"].startswith("The commit carries")
    pr2 = open_pr(fake, 2, "dana", [commit_by(fake, "helper-bot")])
    await evaluate(fake, bot, 2)
    assert dco_status(fake, pr2)["state"] == "failure"
    await change_rules(fake, bot, "dco:\n  allowlist: ['helper-*']\n")
    await evaluate(fake, bot, 2, "synchronize")
    assert dco_status(fake, pr2)["state"] == "success"


async def test_members_are_exempt_only_when_sign_off_is_not_required_of_them(fake, bot):
    setup_repo(fake, "dco:\n  require_for_members: false\n")
    fake.add_org_member("acme", "dana")
    fake.add_user("erin")
    pr = open_pr(fake, 1, "dana", [commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "success"
    pr2 = open_pr(fake, 2, "erin", [commit_by(fake, "erin"), commit_by(fake, "dana")])
    await evaluate(fake, bot, 2)
    status = dco_status(fake, pr2)
    assert status["state"] == "failure" and status["description"].startswith("1 commit lacks")
    await change_rules(fake, bot, RULES)  # required of members by default
    fake.clear_requests()
    await evaluate(fake, bot, 1, "synchronize")
    assert dco_status(fake, pr)["state"] == "failure"
    assert not [r for r in fake.requests if "/members/" in r.path]


async def test_an_unlinked_email_is_never_exempt_as_a_member(fake, bot):
    setup_repo(fake, "dco:\n  require_for_members: false\n")
    fake.add_org_member("acme", "dana")
    pr = open_pr(fake, 1, "dana", [commit_by_email("dana", "dana@laptop.local")])
    await evaluate(fake, bot, 1)
    assert dco_status(fake, pr)["state"] == "failure"


# -- merge queues ----------------------------------------------------------------------------------

async def test_merge_group_gets_the_status_on_its_head_commit(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    add_web_flow(fake)
    base = sha("base")
    unsigned = [commit_by(fake, "dana"), commit_by(fake, "dana", message="Merge pull request #1", committer=WEB_FLOW)]
    group = add_merge_group(fake, REPO, base_sha=base, commits=unsigned, head_sha=sha("group-head"))
    await bot.deliver_and_settle("merge_group", merge_group_event(fake, REPO, group, sender="dana"))
    status = fake.latest_status(REPO, group["head_sha"], CONTEXT)
    assert status is not None and status["state"] == "failure" and status["description"].startswith("2 commits lack")

    signed = [signed_commit_by(fake, "dana"), commit_by(fake, "dana", message="Merge pull request #2", committer=WEB_FLOW)]
    group2 = add_merge_group(fake, REPO, base_sha=base, commits=signed, head_sha=sha("group-head-2"), number=9001)
    make_merge(fake, REPO, signed[1]["sha"])
    await bot.deliver_and_settle("merge_group", merge_group_event(fake, REPO, group2, sender="dana"))
    assert fake.latest_status(REPO, group2["head_sha"], CONTEXT)["state"] == "success"


# -- configuration ---------------------------------------------------------------------------------

async def test_enabled_false_alone_turns_the_rule_off(fake, bot):
    setup_repo(fake, "dco:\n  enabled: false\n")
    pr = open_pr(fake, 1, "dana", [commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/config")["state"] == "success"
    assert fake.latest_status(REPO, pr["head"]["sha"], CONTEXT) is None
    assert reports(fake, 1) == []


async def test_ordinary_comments_cost_no_commit_reads_for_the_dco(fake, bot):
    setup_repo(fake)
    open_pr(fake, 1, "dana", [signed_commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    fake.clear_requests()
    created = fake.add_comment(REPO, 1, author="dana", body="Looks good")
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created))
    # (The engine reads the head's combined status: a PR without governance statuses would be evaluated now.)
    assert not [r for r in fake.requests
                if "/commits" in r.path and not r.path.endswith("/status") or "/compare/" in r.path]
    assert fake.writes() == []


@pytest.mark.parametrize("rules_text, message", [
    ("dco:\n  allowlist: ['*']\n", "dco.allowlist:"),
    ("dco:\n  allow_remediation_commits:\n    thirdParty: true\n", "dco.allow_remediation_commits.thirdParty:"),
    ("dco:\n  require_for_members: maybe\n", "dco.require_for_members:"),
])
async def test_invalid_dco_section_is_reported_by_field(fake, bot, rules_text, message):
    setup_repo(fake, rules_text)
    pr = open_pr(fake, 1, "dana", [commit_by(fake, "dana")])
    await evaluate(fake, bot, 1)
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/config")["state"] == "failure"
    assert fake.latest_status(REPO, pr["head"]["sha"], CONTEXT) is None
    assert message in the_report(fake, 1)


# -- the Details page ------------------------------------------------------------------------------

async def test_the_details_page_lists_each_commit_with_the_fix_and_the_remediation_text(fake, web_bot):
    setup_repo(fake, INDIVIDUAL)
    fake.add_user("dana", emails=["dana@example.org"])
    unsigned = commit_by_email("Dana <b>D</b>", "dana@example.org", message="<img src=x> @everyone")
    pr = open_pr(fake, 1, "dana", [unsigned, signed_commit_by(fake, "dana")])
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    status = dco_status(fake, pr)
    assert status["target_url"].startswith(web_bot.settings.public_url + "/v/")
    status_code, body = await web_bot.get(status["target_url"][len(web_bot.settings.public_url):])
    assert status_code == 200
    assert unsigned["sha"][:7] in body and "&lt;img src=x&gt; @everyone (no sign-off)" in body
    assert "<img" not in body and "<b>D</b>" not in body
    assert "git rebase --signoff HEAD~2\ngit push --force-with-lease" in body
    assert f"I, Dana &lt;b&gt;D&lt;/b&gt; &lt;dana@example.org&gt;, hereby add my Signed-off-by to this commit: " \
           f"{unsigned['sha']}" in body

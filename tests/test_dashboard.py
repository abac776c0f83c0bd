"""Sign-in with GitHub and the dashboard over HTTP (the browser walk-through is in
test_web_browser.py): who may see what, CSRF, exports, revocation, retries, escaping."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
from sqlalchemy import update

from bot.web.auth import web_sessions
from tests.fake_ext_cla import sha
from tests.harness import INSTALLATION_ID, BotHarness, make_settings
from tests.payloads import issue_comment_event, pull_request_event

ORG = "acme"
REPO = "acme/widgets"
OTHER = "acme/gadgets"
PHRASE = "I have read the CLA Document and I hereby sign the CLA"
RULES = "cla:\n  document: https://example.org/cla.md\n"




def setup_org(fake, oauth) -> None:
    for name in (REPO, OTHER):
        fake.add_repo(name, installation_id=INSTALLATION_ID)
        fake.set_file(name, ".github/governance.yml", RULES)
    oauth.add_owner(ORG, "olivia")


async def signed_pr(fake, site, number: int, author: str, repo: str = REPO) -> dict:
    """A PR whose author signs the CLA on it (so it passes on that signature)."""
    fake.add_user(author)
    pr = fake.add_pull_request(repo, number, author=author, head_sha=sha(f"{repo}#{number}"))
    await site.deliver_and_settle("pull_request", pull_request_event(fake, repo, number))
    comment = fake.add_comment(repo, number, author=author, body=PHRASE)
    await site.deliver_and_settle("issue_comment", issue_comment_event(fake, repo, number, comment))
    status = fake.latest_status(repo, pr["head"]["sha"], "governance/cla")
    assert status["state"] == "success", status["description"]
    return pr


async def stored_signature(site, fake, login: str, repo: str = REPO, number: int = 9) -> None:
    """A signature as the CLA rule records it, for logins GitHub itself would not allow."""
    from rules.cla.store import NewSignature, record_signature

    owner = fake.user(ORG)
    await record_signature(site.state.store, NewSignature(
        owner=ORG, owner_id=owner["id"], user_id=990_000 + len(login), login=login, version="1", repository=repo,
        pull_request=number, comment_url=f"https://github.com/{repo}/pull/{number}#issuecomment-1"))


async def sign_in(site, oauth, login: str) -> aiohttp.ClientSession:
    """Through /login, the fake's authorize page and its button, back to /login/callback."""
    oauth.sign_in_as(login)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(site.url + "/login?next=/dashboard", allow_redirects=False) as response:
        assert response.status == 302
        authorize = response.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [oauth.client_id]
    assert query["redirect_uri"] == [site.settings.public_url + "/login/callback"]
    assert len(query["state"][0]) >= 32
    async with session.post(authorize.split("?")[0], data={k: v[0] for k, v in query.items()},
                            allow_redirects=False) as response:
        callback = response.headers["Location"]
    async with session.get(callback, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        assert response.headers["Location"] == "/dashboard"
    return session


async def page(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url, allow_redirects=False) as response:
        return response.status, await response.text()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_sign_in_sets_a_safe_session_cookie_and_the_owner_sees_the_dashboard(fake, site, oauth):
    setup_org(fake, oauth)
    await signed_pr(fake, site, 1, "dana")
    oauth.sign_in_as("olivia")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(site.url + "/login", allow_redirects=False) as response:
            state_cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in state_cookie and "SameSite=Lax" in state_cookie
            authorize = response.headers["Location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        async with session.post(authorize.split("?")[0], data=query, allow_redirects=False) as response:
            callback = response.headers["Location"]
        async with session.get(callback, allow_redirects=False) as response:
            cookies = response.headers.getall("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("governance_session="))
        assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie and "Path=/" in session_cookie
        assert "Secure" not in session_cookie  # plain http here; behind TLS it is Secure (below)
        # The client secret went to GitHub, never back to the browser.
        assert oauth.exchanges[-1]["client_secret"] == oauth.client_secret
        status, html = await page(session, site.url + "/dashboard")
        assert status == 200 and f'href="/dashboard/{INSTALLATION_ID}"' in html
        status, html = await page(session, site.url + f"/dashboard/{INSTALLATION_ID}")
        assert status == 200
        assert "dana" in html and "acme/widgets#1" in html and "CLA signatures" in html
        assert "<svg" in html and "Deliveries per hour by outcome" in html
        assert "Rules of each repository" in html and "document: https://example.org/cla.md" in html


async def test_behind_tls_the_cookies_are_secure(fake, app_key, tmp_path, oauth):
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "g.db",
                             public_url="https://bot.example.org", github_web_url=fake.url,
                             github_client_id=oauth.client_id, github_client_secret=oauth.client_secret)
    harness = BotHarness(settings)
    await harness.start()
    try:
        async with harness.session.get(harness.url + "/login", allow_redirects=False) as response:
            assert "Secure" in response.headers["Set-Cookie"]
            redirect = parse_qs(urlsplit(response.headers["Location"]).query)["redirect_uri"]
            assert redirect == ["https://bot.example.org/login/callback"]
    finally:
        await harness.close()


async def test_a_callback_with_a_wrong_or_missing_state_signs_nobody_in(fake, site, oauth):
    setup_org(fake, oauth)
    oauth.sign_in_as("olivia")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(site.url + "/login", allow_redirects=False) as response:
            authorize = response.headers["Location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        query["state"] = query["state"][:-2] + "xx"  # an attacker's state
        async with session.post(authorize.split("?")[0], data=query, allow_redirects=False) as response:
            callback = response.headers["Location"]
        status, html = await page(session, callback)
        assert status == 400 and "could not be confirmed" in html
        assert oauth.exchanges == []  # the code was never even traded
        assert (await page(session, site.url + "/dashboard"))[0] == 302  # still signed out
    async with aiohttp.ClientSession() as stranger:  # no state cookie at all
        status, _ = await page(stranger, callback)
        assert status == 400


async def test_an_outsider_sees_no_dashboard(fake, site, oauth):
    setup_org(fake, oauth)
    fake.add_org_member(ORG, "otto")  # a member, not an owner, administering nothing
    session = await sign_in(site, oauth, "otto")
    async with session:
        status, html = await page(session, site.url + "/dashboard")
        assert status == 200 and 'id="no-dashboard"' in html and f"/dashboard/{INSTALLATION_ID}" not in html
        status, html = await page(session, site.url + f"/dashboard/{INSTALLATION_ID}")
        assert status == 404 and "dana" not in html
        async with session.get(site.url + f"/dashboard/{INSTALLATION_ID}/export/cla/signatures.json") as response:
            assert response.status == 404


async def test_signed_out_visitors_are_sent_to_sign_in(site):
    async with site.session.get(site.url + f"/dashboard/{INSTALLATION_ID}", allow_redirects=False) as response:
        assert response.status == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login" and parse_qs(location.query)["next"] == [f"/dashboard/{INSTALLATION_ID}"]


async def test_a_maintainer_sees_only_their_repositories_and_cannot_revoke(fake, site, oauth):
    setup_org(fake, oauth)
    await signed_pr(fake, site, 1, "dana", REPO)
    await signed_pr(fake, site, 2, "erin", OTHER)
    fake.set_permission(REPO, "mia", "maintain")
    session = await sign_in(site, oauth, "mia")
    async with session:
        status, html = await page(session, site.url + f"/dashboard/{INSTALLATION_ID}")
        assert status == 200
        assert "dana" in html and "erin" not in html and "acme/gadgets" not in html
        assert "action-revoke" not in html
        async with session.post(site.url + f"/dashboard/{INSTALLATION_ID}/action/cla/signatures",
                                data={"csrf": csrf_of(html), "action": "revoke", "key": "dana",
                                      "confirmed": "yes"}) as response:
            assert response.status == 400 and "Only an owner" in await response.text()


async def test_search_and_export_signatures(fake, site, oauth):
    setup_org(fake, oauth)
    await signed_pr(fake, site, 1, "dana")
    await stored_signature(site, fake, "=cmd|calc", OTHER)  # a login a spreadsheet would run
    session = await sign_in(site, oauth, "olivia")
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    async with session:
        status, html = await page(session, base + "?login=DAN")
        assert status == 200 and ">dana<" in html and "cmd|calc" not in html
        async with session.get(base + "/export/cla/signatures.json?login=dan") as response:
            assert response.headers["Content-Disposition"].startswith("attachment")
            records = json.loads(await response.text())
        assert [r["login"] for r in records] == ["dana"]
        assert set(records[0]) == {"user_id", "login", "owner", "version", "signed_at", "repository",
                                   "pull_request", "comment_url", "action", "actor_id", "actor_login", "revoked_at"}
        async with session.get(base + "/export/cla/signatures.csv") as response:
            rows = list(csv.DictReader(io.StringIO(await response.text())))
        assert sorted(r["login"] for r in rows) == ["'=cmd|calc", "dana"]
        today = time.strftime("%Y-%m-%d", time.gmtime())
        status, html = await page(session, base + f"?from={today}&to={today}&version=1")
        assert ">dana<" in html
        status, html = await page(session, base + "?to=2000-01-01")
        assert ">dana<" not in html and "No signature matches." in html


async def test_revoke_asks_first_naming_the_prs_then_rechecks_them(fake, site, oauth):
    setup_org(fake, oauth)
    pr = await signed_pr(fake, site, 1, "dana")
    session = await sign_in(site, oauth, "olivia")
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    async with session:
        _, html = await page(session, base)
        form = {"csrf": csrf_of(html), "action": "revoke", "key": "dana"}
        async with session.post(base + "/action/cla/signatures", data=form) as response:
            confirm = await response.text()
        assert response.status == 200 and "acme/widgets#1" in confirm and 'name="confirmed" value="yes"' in confirm
        assert fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")["state"] == "success"  # not yet
        async with session.post(base + "/action/cla/signatures", data={**form, "confirmed": "yes"}) as response:
            done = await response.text()
        assert "Revoked the CLA signature of dana" in done and "acme/widgets#1" in done
        await site.settle()
        assert fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")["state"] == "failure"


async def test_forms_without_the_csrf_token_are_refused(fake, site, oauth):
    setup_org(fake, oauth)
    pr = await signed_pr(fake, site, 1, "dana")
    session = await sign_in(site, oauth, "olivia")
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    async with session:
        for data in ({"action": "revoke", "key": "dana", "confirmed": "yes"},
                     {"csrf": "forged", "action": "revoke", "key": "dana", "confirmed": "yes"}):
            async with session.post(base + "/action/cla/signatures", data=data) as response:
                assert response.status == 403
        async with session.post(site.url + "/logout", data={}) as response:
            assert response.status == 403
        await site.settle()
        assert fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")["state"] == "success"
        assert (await page(session, base))[0] == 200  # still signed in


async def test_access_is_asked_again_after_an_hour(fake, site, oauth):
    setup_org(fake, oauth)
    session = await sign_in(site, oauth, "olivia")
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    async with session:
        assert (await page(session, base))[0] == 200
        oauth.owners[ORG].discard("olivia")  # no longer an owner on GitHub
        assert (await page(session, base))[0] == 200  # within the hour: as checked at sign-in
        async with site.state.store.transaction() as conn:
            await conn.execute(update(web_sessions).values(checked_at=time.time() - 3601))
        assert (await page(session, base))[0] == 404  # GitHub was asked again
        oauth.revoke_tokens()
        async with site.state.store.transaction() as conn:
            await conn.execute(update(web_sessions).values(checked_at=time.time() - 3601))
        status, _ = await page(session, base)
        assert status == 302  # GitHub no longer accepts the token: sign in again


async def test_retry_a_failed_delivery(fake, site, oauth):
    setup_org(fake, oauth)
    fake.add_user("dana")
    pr = fake.add_pull_request(REPO, 1, author="dana", head_sha=sha("retry"))
    fake.fail("GET", rf"/repos/{REPO}/pulls/1", status=404, times=100)
    await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1), delivery_id="d-failed")
    assert (await site.delivery("d-failed"))["state"] == "failed"
    session = await sign_in(site, oauth, "olivia")
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    async with session:
        _, html = await page(session, base + "?state=failed")
        assert "d-failed" in html and "action-retry" in html
        fake.clear_faults()
        async with session.post(base + "/deliveries/retry", data={"csrf": csrf_of(html), "key": "d-failed"},
                                allow_redirects=False) as response:
            assert response.status == 303 and "notice=retried" in response.headers["Location"]
        await site.settle()
        assert (await site.delivery("d-failed"))["state"] == "done"
        assert fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")["state"] == "failure"
        _, html = await page(session, base)
        assert "governance/cla: failure" in html  # the statuses the delivery set


async def test_user_text_is_shown_as_text(fake, site, oauth):
    setup_org(fake, oauth)
    fake.set_file(REPO, ".github/governance.yml", RULES + 'triage:\n  issue_labels: ["<i>triage</i> @team"]\n')
    await signed_pr(fake, site, 1, "dana")  # so the bot has worked on the repository
    await stored_signature(site, fake, "<b>bold</b>@everyone")
    session = await sign_in(site, oauth, "olivia")
    async with session:
        _, html = await page(session, site.url + f"/dashboard/{INSTALLATION_ID}?login=%3Cscript%3E")
        assert "<b>bold</b>" not in html and "<script>" not in html
        assert 'value="&lt;script&gt;"' in html
        _, html = await page(session, site.url + f"/dashboard/{INSTALLATION_ID}")
        assert "&lt;b&gt;bold&lt;/b&gt;@everyone" in html
        assert "<i>" not in html and "&lt;i&gt;triage&lt;/i&gt; @team" in html  # a label in the effective rules


async def test_a_private_verdict_shows_its_details_to_a_signed_in_reader_only(fake, site, oauth):
    fake.add_repo("acme/secret", private=True, installation_id=INSTALLATION_ID)
    fake.set_file("acme/secret", ".github/governance.yml", RULES)
    fake.add_user("dana")
    pr = fake.add_pull_request("acme/secret", 1, author="dana", head_sha=sha("secret"))
    await site.deliver_and_settle("pull_request", pull_request_event(fake, "acme/secret", 1))
    link = fake.latest_status("acme/secret", pr["head"]["sha"], "governance/cla")["target_url"]
    path = urlsplit(link).path
    fake.add_org_member(ORG, "otto")  # can sign in, cannot read the repository
    fake.set_permission("acme/secret", "rita", "read")
    for login, sees in (("otto", False), ("rita", True)):
        session = await sign_in(site, oauth, login)
        async with session:
            status, html = await page(session, site.url + path)
            assert status == 200
            assert ("@dana" in html) is sees, login
            assert ("acme/secret" in html) is sees, login
            assert "dana must sign the CLA" in html  # the status's own description, for everyone


async def test_commercial_approvals_name_the_approver_the_pr_and_its_files(fake, site, oauth):
    setup_org(fake, oauth)
    fake.set_file(REPO, ".github/governance.yml", "commercial:\n  paths: [\"ee/**\"]\n"
                  "  license_url: https://example.org/ee\n  maintainers: [carol]\n")
    fake.add_user("outsider")
    fake.add_user("carol")
    patch = "@@ -0,0 +1,1 @@\n+x = 1"
    pr = fake.add_pull_request(REPO, 5, author="outsider", head_sha=sha("ee"), files=[
        {"filename": "ee/billing.py", "status": "added", "additions": 1, "patch": patch},
        {"filename": "src/open.py", "status": "added", "additions": 1, "patch": patch}])
    await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 5))
    approval = fake.add_comment(REPO, 5, author="carol", body="/approve-commercial")
    await site.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 5, approval))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/commercial")["state"] == "success"
    session = await sign_in(site, oauth, "olivia")
    async with session:
        _, html = await page(session, site.url + f"/dashboard/{INSTALLATION_ID}")
        section = html[html.index('id="approvals"'):html.index('id="deliveries"')]
        assert "carol" in section and "acme/widgets#5" in section and "ee/billing.py" in section
        assert "src/open.py" not in section
        async with session.get(site.url + f"/dashboard/{INSTALLATION_ID}/export/commercial/approvals.json") as r:
            records = json.loads(await r.text())
        assert [(r["approved_by"], r["pull_request"], r["files"]) for r in records] == [("carol", 5, "ee/billing.py")]


async def test_newcomers_show_each_first_timer_with_their_mentor_and_first_merge(fake, site, oauth):
    setup_org(fake, oauth)
    onboarding = "onboarding:\n  mentors: [alice]\n"
    for name in (REPO, OTHER):
        fake.set_file(name, ".github/governance.yml", onboarding)
        fake.set_permission(name, "alice", "write")
    for login in ("nina", "omar"):
        fake.add_user(login)
    fake.add_pull_request(REPO, 7, author="nina", author_association="NONE", head_sha=sha("nina"))
    await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 7))
    fake.pull_request(REPO, 7)["merged"] = True
    await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 7, "closed"))
    fake.add_pull_request(OTHER, 3, author="omar", author_association="NONE", head_sha=sha("omar"))
    await site.deliver_and_settle("pull_request", pull_request_event(fake, OTHER, 3))
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    session = await sign_in(site, oauth, "olivia")
    async with session:
        _, html = await page(session, base)
        section = html[html.index('id="newcomers"'):]
        assert "nina" in section and "omar" in section and "alice" in section
        async with session.get(base + "/export/onboarding/newcomers.json?newcomer=NINA") as response:
            records = json.loads(await response.text())
        assert [(r["login"], r["repository"], r["first_pull_request"], r["mentor"], r["first_merge"])
                for r in records] == [("nina", REPO, 7, "alice", 7)]
        assert records[0]["first_issue"] == "" and records[0]["first_seen"].endswith("Z")
    fake.set_permission(OTHER, "mia", "maintain")  # sees acme/gadgets only
    session = await sign_in(site, oauth, "mia")
    async with session:
        async with session.get(base + "/export/onboarding/newcomers.json") as response:
            records = json.loads(await response.text())
        assert [(r["login"], r["repository"]) for r in records] == [("omar", OTHER)]


async def test_labels_people_took_off_are_listed_with_the_most_removed_first(fake, site, oauth):
    from tests import fake_ext_triage
    from tests.fake_ext_triage import person_removes_label

    fake_ext_triage.install(fake)
    setup_org(fake, oauth)
    fake.set_file(REPO, ".github/governance.yml", "triage:\n  paths:\n    area/docs: [\"docs/**\"]\n")
    fake.add_user("dana")
    fake.set_permission(REPO, "tess", "triage")
    for number in (1, 2):
        fake.add_pull_request(REPO, number, author="dana", head_sha=sha(f"docs{number}"), files=[
            {"filename": "docs/a.md", "status": "added", "additions": 1, "patch": "@@ -0,0 +1,1 @@\n+x"}])
        await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number))
        assert "area/docs" in fake.issue_labels(REPO, number)
    event, payload = person_removes_label(fake, REPO, 2, "area/docs", sender="tess")
    await site.deliver_and_settle(event, payload)
    base = site.url + f"/dashboard/{INSTALLATION_ID}"
    session = await sign_in(site, oauth, "olivia")
    async with session:
        _, html = await page(session, base)
        section = html[html.index('id="labels-removed"'):html.index('id="deliveries"')]
        assert "area/docs" in section and "#2" in section and "#1" not in section
        assert "Most removed of these: area/docs ×1." in section
        async with session.get(base + "/export/triage/labels-removed.json?removed_label=AREA/DOCS") as response:
            records = json.loads(await response.text())
        assert [(r["label"], r["repository"], r["number"]) for r in records] == [("area/docs", REPO, 2)]

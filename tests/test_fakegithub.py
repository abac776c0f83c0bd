"""Behaviour of the in-memory GitHub fake, through plain aiohttp and through gidgethub."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator

import aiohttp
import gidgethub
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gidgethub.aiohttp import GitHubAPI

from tests.fakegithub import FakeGitHub, git_blob_sha

REPO = "acme/widgets"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    gh = FakeGitHub()
    await gh.start()
    gh.add_repo(REPO)
    yield gh
    await gh.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def token(fake: FakeGitHub) -> str:
    return fake.issue_token()


@pytest.fixture
def gh(fake: FakeGitHub, session: aiohttp.ClientSession, token: str) -> GitHubAPI:
    return GitHubAPI(session, "test", oauth_token=token, base_url=fake.url, cache={})


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def _rsa_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


# ---------------------------------------------------------------- auth, tokens, headers
async def test_installation_token_flow_and_bad_credentials(session: aiohttp.ClientSession) -> None:
    private, public = _rsa_pair()
    other_private, _ = _rsa_pair()
    fake = FakeGitHub(public_key_pem=public, token_ttl=1.0)
    await fake.start()
    try:
        fake.add_repo(REPO)
        now = int(time.time())
        good = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": "42"}, private, algorithm="RS256")
        forged = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": "42"}, other_private, algorithm="RS256")
        url = f"{fake.url}/app/installations/7/access_tokens"
        async with session.post(url, headers={"Authorization": f"bearer {forged}"}) as r:
            assert r.status == 401
        async with session.post(url, headers={"Authorization": f"bearer {good}"}) as r:
            assert r.status == 201
            data = await r.json()
        assert data["expires_at"].endswith("Z") and data["permissions"] == {}
        assert fake.tokens_issued == 1
        async with session.get(f"{fake.url}/repos/{REPO}", headers=auth(data["token"])) as r:
            assert r.status == 200
        async with session.get(f"{fake.url}/repos/{REPO}", headers=auth("nope")) as r:
            assert r.status == 401 and (await r.json())["message"] == "Bad credentials"
        async with session.get(f"{fake.url}/repos/{REPO}") as r:
            assert r.status == 401
        await asyncio.sleep(1.1)
        async with session.get(f"{fake.url}/repos/{REPO}", headers=auth(data["token"])) as r:
            assert r.status == 401
        # Recorded without the Authorization header; token minting is not a "write".
        assert all("authorization" not in rec.headers for rec in fake.requests)
        assert fake.writes() == []
    finally:
        await fake.close()


async def test_etag_304_and_rate_limit_headers(fake: FakeGitHub, session: aiohttp.ClientSession, token: str) -> None:
    url = f"{fake.url}/repos/{REPO}"
    async with session.get(url, headers=auth(token)) as r:
        etag = r.headers["ETag"]
        remaining = int(r.headers["x-ratelimit-remaining"])
        assert r.headers["x-ratelimit-limit"] == "5000" and r.headers["x-ratelimit-resource"] == "core"
        assert r.headers["Content-Type"] == "application/json; charset=utf-8"
        assert int(r.headers["x-ratelimit-reset"]) > time.time()
    async with session.get(url, headers={**auth(token), "If-None-Match": etag}) as r:
        assert r.status == 304 and await r.read() == b""
        assert int(r.headers["x-ratelimit-remaining"]) == remaining
    async with session.get(url, headers=auth(token)) as r:
        assert int(r.headers["x-ratelimit-remaining"]) == remaining - 1
        assert int(r.headers["x-ratelimit-used"]) == 5000 - remaining + 1
    assert [rec.status for rec in fake.requests] == [200, 304, 200]


async def test_gidgethub_cache_uses_304(fake: FakeGitHub, gh: GitHubAPI) -> None:
    first = await gh.getitem(f"/repos/{REPO}")
    second = await gh.getitem(f"/repos/{REPO}")
    assert second == first and first["full_name"] == REPO
    assert [r.status for r in fake.requests] == [200, 304]
    assert fake.ratelimit_used == 1  # the 304 was free


# ---------------------------------------------------------------- pagination
async def test_getiter_follows_link_pages(fake: FakeGitHub, gh: GitHubAPI, session: aiohttp.ClientSession,
                                          token: str) -> None:
    fake.add_issue(REPO, 3, author="alice")
    for i in range(65):
        fake.add_comment(REPO, 3, author="bob", body=f"c{i}")
    bodies = [c["body"] async for c in gh.getiter(f"/repos/{REPO}/issues/3/comments")]
    assert bodies == [f"c{i}" for i in range(65)]
    assert [r.query.get("page") for r in fake.requests] == [None, "2", "3"]
    async with session.get(f"{fake.url}/repos/{REPO}/issues/3/comments?per_page=20&page=2", headers=auth(token)) as r:
        link = r.headers["Link"]
        assert len(await r.json()) == 20
    assert f'<{fake.url}/repos/{REPO}/issues/3/comments?per_page=20&page=3>; rel="next"' in link
    assert 'page=4>; rel="last"' in link and 'page=1>; rel="prev"' in link


async def test_pull_commits_and_files_caps(fake: FakeGitHub, gh: GitHubAPI) -> None:
    commits = [{"sha": f"{i:040x}", "message": f"m{i}", "author": {"name": "A", "email": "a@x"}} for i in range(260)]
    files = [{"filename": f"f{i}.txt", "status": "added", "additions": 1, "deletions": 0} for i in range(3005)]
    pr = fake.add_pull_request(REPO, 1, author="alice", commits=commits, files=files)
    assert pr["head"]["sha"] == f"{259:040x}"
    got_commits = [c async for c in gh.getiter(f"/repos/{REPO}/pulls/1/commits?per_page=100")]
    got_files = [f async for f in gh.getiter(f"/repos/{REPO}/pulls/1/files?per_page=100")]
    assert len(got_commits) == 250 and len(got_files) == 3000
    assert got_files[0]["changes"] == 1 and "content" not in got_files[0]
    full = await gh.getitem(f"/repos/{REPO}/pulls/1")
    assert full["commits"] == 260 and full["changed_files"] == 3005


async def test_compare_paginates_commits_files_on_first_page(fake: FakeGitHub, gh: GitHubAPI) -> None:
    commits = [{"message": f"m{i}", "author": {"name": "A", "email": "a@x"}} for i in range(45)]
    pr = fake.add_pull_request(REPO, 2, author="alice", commits=commits, head_sha="f" * 40,
                               files=[{"filename": "x.py", "status": "modified", "additions": 2, "deletions": 1}])
    base = pr["base"]["sha"]
    pages = []
    url: str | None = f"/repos/{REPO}/compare/{base}...{'f' * 40}?per_page=20"
    while url:
        data, url, _ = await gh._make_request("GET", url, {}, b"", gidgethub.sansio.accept_format())
        pages.append(data)
    assert [len(p["commits"]) for p in pages] == [20, 20, 5]
    assert pages[0]["total_commits"] == 45 and pages[0]["ahead_by"] == 45 and pages[0]["status"] == "ahead"
    assert [f["filename"] for f in pages[0]["files"]] == ["x.py"] and pages[1]["files"] == []
    assert pages[0]["merge_base_commit"]["sha"] == base
    assert pages[-1]["commits"][-1]["sha"] == "f" * 40
    with pytest.raises(gidgethub.BadRequest):
        await gh.getitem(f"/repos/{REPO}/compare/{'1' * 40}...{'2' * 40}")


# ---------------------------------------------------------------- fault injection & overrides
async def test_fail_injection_seen_by_gidgethub(fake: FakeGitHub, gh: GitHubAPI) -> None:
    fake.fail("GET", rf"/repos/{REPO}", status=502, times=2)
    for _ in range(2):
        with pytest.raises(gidgethub.GitHubBroken):
            await gh.getitem(f"/repos/{REPO}")
    assert (await gh.getitem(f"/repos/{REPO}"))["name"] == "widgets"
    fake.fail("POST", r"/repos/.*/issues/\d+/comments", status=403, headers={"retry-after": "1"},
              body={"message": "You have exceeded a secondary rate limit"})
    fake.add_issue(REPO, 5, author="alice")
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.post(f"/repos/{REPO}/issues/5/comments", data={"body": "hi"})
    assert exc.value.status_code == 403 and exc.value.headers["retry-after"] == "1"
    assert "secondary rate limit" in str(exc.value)
    assert [r.status for r in fake.requests] == [502, 502, 200, 403]
    assert fake.comments(REPO, 5) == []
    fake.fail("GET", rf"/repos/{REPO}", times=5)
    fake.fail("GET", rf"/repos/{REPO}", times=0)  # cancels
    fake.fail("*", r"/users/.*", status=500, times=5)
    fake.clear_faults()
    assert (await gh.getitem(f"/repos/{REPO}"))["name"] == "widgets"
    assert (await gh.getitem("/users/alice"))["login"] == "alice"


async def test_override_and_custom_graphql_handler(fake: FakeGitHub, gh: GitHubAPI) -> None:
    async def teapot(request: web.Request, match, fk: FakeGitHub) -> web.Response:
        return web.json_response({"who": match["who"]}, status=200)

    fake.override("GET", r"/users/(?P<who>[^/]+)", teapot)
    assert await gh.getitem("/users/zed") == {"who": "zed"}
    fake.graphql_handlers.append(lambda q, v, fk: {"viewer": {"login": v["x"]}} if "viewer" in q else None)
    assert await gh.graphql("query($x: String!) { viewer { login } }", endpoint=fake.graphql_url, x="me") == \
        {"viewer": {"login": "me"}}
    with pytest.raises(gidgethub.QueryError, match="unsupported query"):
        await gh.graphql("{ somethingElse }", endpoint=fake.graphql_url)


# ---------------------------------------------------------------- prefix & GraphQL
async def test_enterprise_prefix_routing(session: aiohttp.ClientSession) -> None:
    fake = FakeGitHub(api_prefix="/api/v3")
    await fake.start()
    try:
        fake.add_repo(REPO)
        fake.set_file(REPO, "a.txt", "A")
        token = fake.issue_token()
        assert fake.url.endswith("/api/v3") and fake.graphql_url.endswith("/api/graphql")
        gh = GitHubAPI(session, "test", oauth_token=token, base_url=fake.url)
        pr = fake.add_pull_request(REPO, 4, author="alice")
        assert (await gh.getitem(f"/repos/{REPO}/pulls/4"))["url"] == f"{fake.url}/repos/{REPO}/pulls/4"
        assert pr["url"] == f"{fake.url}/repos/{REPO}/pulls/4" and fake.pull_request(REPO, 4) is pr
        data = await gh.graphql('{ repository(owner: "acme", name: "widgets") { f: object(expression: "main:a.txt") '
                                '{ ... on Blob { text } } } }', endpoint=fake.graphql_url)
        assert data == {"repository": {"f": {"text": "A"}}}
        root = fake.url.removesuffix("/api/v3")
        for path in (f"/repos/{REPO}", "/graphql", "/api/v3/graphql"):
            async with session.request("POST" if "graphql" in path else "GET", root + path, headers=auth(token),
                                       json={"query": "{ x }"}) as r:
                assert r.status == 404, path
        assert [r.path for r in fake.requests[:2]] == [f"/repos/{REPO}/pulls/4", "/graphql"]
    finally:
        await fake.close()


async def test_graphql_blob_batch_and_commit_authors(fake: FakeGitHub, gh: GitHubAPI) -> None:
    fake.add_user("carol", emails=["carol@corp.example"])
    dave = fake.add_user("dave")
    fake.set_file(REPO, "LICENSE", "MIT\n")
    msg = "Fix\n\nCo-authored-by: Carol <carol@corp.example>\nCo-authored-by: Ghost <ghost@nowhere.example>\n"
    pr = fake.add_pull_request(REPO, 9, author="dave", head_sha="a" * 40, files=[
        {"filename": "src/app.py", "status": "added", "additions": 1, "deletions": 0, "content": "print(1)\n"},
        {"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0, "content": b"\x89PNG\0\1"}],
        commits=[{"sha": "a" * 40, "message": msg,
                  "author": {"name": "Dave", "email": f"{dave['id']}+dave@users.noreply.github.com"}}])
    head = pr["head"]["sha"]
    query = f"""
    {{
      repository(owner: "acme", name: "widgets") {{
        f0: object(expression: "{head}:src/app.py") {{ ... on Blob {{ text byteSize isBinary oid }} }}
        f_1 : object( expression : "{head}:LICENSE" ) {{ ... on Blob {{ text }} }}
        f2: object(expression: "{head}:missing.txt") {{ ... on Blob {{ text }} }}
        f3: object(expression: "{head}:logo.png") {{ ... on Blob {{ text isBinary }} }}
        c0: object(oid: "{head}") {{ ... on Commit {{ authors(first: 5) {{ nodes {{ name email user {{ login databaseId }} }} }} }} }}
      }}
    }}"""
    repo = (await gh.graphql(query, endpoint=fake.graphql_url))["repository"]
    assert repo["f0"] == {"text": "print(1)\n", "byteSize": 9, "isBinary": False, "oid": git_blob_sha(b"print(1)\n")}
    assert repo["f_1"] == {"text": "MIT\n"} and repo["f2"] is None
    assert repo["f3"] == {"text": None, "isBinary": True}
    assert repo["c0"]["authors"]["nodes"] == [
        {"name": "Dave", "email": f"{dave['id']}+dave@users.noreply.github.com",
         "user": {"login": "dave", "databaseId": dave["id"]}},
        {"name": "Carol", "email": "carol@corp.example", "user": {"login": "carol", "databaseId": fake.add_user("carol")["id"]}},
        {"name": "Ghost", "email": "ghost@nowhere.example", "user": None}]
    assert fake.writes() == []


# ---------------------------------------------------------------- git data
async def test_contents_trees_and_blobs_at_pr_head(fake: FakeGitHub, gh: GitHubAPI) -> None:
    fake.set_file(REPO, "README.md", "readme")
    fake.set_file(REPO, "old.txt", "old")
    fake.set_file(REPO, "gone.txt", "bye")
    pr = fake.add_pull_request(REPO, 6, author="alice", head_sha="b" * 40, files=[
        {"filename": "new.txt", "status": "renamed", "previous_filename": "old.txt", "additions": 0, "deletions": 0},
        {"filename": "gone.txt", "status": "removed", "additions": 0, "deletions": 1},
        {"filename": "pkg/mod.py", "status": "added", "additions": 1, "deletions": 0, "content": "x = 1\n"}])
    tree = await gh.getitem(f"/repos/{REPO}/git/trees/{'b' * 40}?recursive=1")
    blobs = {e["path"]: e for e in tree["tree"] if e["type"] == "blob"}
    assert set(blobs) == {"README.md", "new.txt", "pkg/mod.py"} and tree["truncated"] is False
    assert blobs["pkg/mod.py"]["sha"] == git_blob_sha(b"x = 1\n") and blobs["pkg/mod.py"]["size"] == 6
    blob = await gh.getitem(f"/repos/{REPO}/git/blobs/{blobs['new.txt']['sha']}")
    assert base64.b64decode(blob["content"]) == b"old"
    base_tree = await gh.getitem(f"/repos/{REPO}/git/trees/{pr['base']['sha']}?recursive=1")
    assert {e["path"] for e in base_tree["tree"]} == {"README.md", "old.txt", "gone.txt"}
    content = await gh.getitem(f"/repos/{REPO}/contents/pkg/mod.py?ref={'b' * 40}")
    assert content["type"] == "file" and content["encoding"] == "base64" and content["name"] == "mod.py"
    assert base64.b64decode(content["content"]) == b"x = 1\n"
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.getitem(f"/repos/{REPO}/contents/pkg/mod.py")  # default branch: not there
    assert exc.value.status_code == 404
    with pytest.raises(gidgethub.BadRequest):
        await gh.getitem("/repos/acme/nope/contents/README.md")
    fake.push(REPO, 6, head_sha="c" * 40, files=[])
    again = await gh.getitem(f"/repos/{REPO}/git/trees/{'c' * 40}?recursive=1")
    assert {e["path"] for e in again["tree"]} == {"README.md", "old.txt", "gone.txt"}
    assert (await gh.getitem(f"/repos/{REPO}/pulls/6"))["head"]["sha"] == "c" * 40


async def test_pr_commit_author_linking(fake: FakeGitHub, gh: GitHubAPI) -> None:
    erin = fake.add_user("erin", emails=["erin@corp.example"])
    frank = fake.add_user("frank")
    fake.add_pull_request(REPO, 8, author="erin", commits=[
        {"message": "1", "author": {"name": "E", "email": "erin@corp.example"}},
        {"message": "2", "author": {"name": "F", "email": f"{frank['id']}+frank@users.noreply.github.com"}},
        {"message": "3", "author": {"name": "X", "email": "x@unknown.example", "login": "frank"},
         "committer": {"name": "GitHub", "email": "noreply@github.com"}},
        {"message": "4", "author": {"name": "Y", "email": "y@unknown.example"}}])
    commits = [c async for c in gh.getiter(f"/repos/{REPO}/pulls/8/commits")]
    assert [c["author"]["login"] if c["author"] else None for c in commits] == ["erin", "frank", "frank", None]
    assert commits[0]["author"]["id"] == erin["id"] and commits[2]["committer"] is None
    assert commits[1]["parents"][0]["sha"] == commits[0]["sha"]
    assert commits[0]["commit"]["author"]["email"] == "erin@corp.example" and commits[0]["commit"]["author"]["date"]


# ---------------------------------------------------------------- writes
async def test_statuses_validation_and_combined(fake: FakeGitHub, gh: GitHubAPI) -> None:
    sha = fake.add_pull_request(REPO, 10, author="alice")["head"]["sha"]
    await gh.post(f"/repos/{REPO}/statuses/{sha}", data={"state": "pending", "context": "cla"})
    created = await gh.post(f"/repos/{REPO}/statuses/{sha}", data={"state": "success", "context": "cla",
                                                                  "description": "ok", "target_url": "https://x"})
    await gh.post(f"/repos/{REPO}/statuses/{sha}", data={"state": "failure", "context": "license"})
    assert created["creator"]["login"] == "governance-bot[bot]"
    with pytest.raises(gidgethub.ValidationError, match="state is not included"):
        await gh.post(f"/repos/{REPO}/statuses/{sha}", data={"state": "bogus"})
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.post(f"/repos/{REPO}/statuses/{sha}", data={"state": "success", "description": "x" * 141})
    assert exc.value.status_code == 422
    combined = await gh.getitem(f"/repos/{REPO}/commits/{sha}/status")
    assert combined["state"] == "failure" and combined["total_count"] == 2 and combined["sha"] == sha
    assert {s["context"]: s["state"] for s in combined["statuses"]} == {"cla": "success", "license": "failure"}
    assert [s["state"] for s in fake.statuses(REPO, sha)] == ["pending", "success", "failure"]
    assert fake.latest_status(REPO, sha, "cla")["description"] == "ok"
    assert len(fake.writes()) == 5


async def test_labels_comments_assignees_reviewers(fake: FakeGitHub, gh: GitHubAPI) -> None:
    fake.add_label(REPO, "bug", "d73a4a")
    fake.add_pull_request(REPO, 11, author="alice", labels=["bug"])
    labels = await gh.post(f"/repos/{REPO}/issues/11/labels", data={"labels": ["needs cla", "Bug"]})
    assert [lab["name"] for lab in labels] == ["bug", "needs cla"]
    assert fake.repo_labels(REPO) == {"bug": "d73a4a", "needs cla": "ededed"}
    await gh.delete(f"/repos/{REPO}/issues/11/labels/needs%20cla")
    assert fake.issue_labels(REPO, 11) == ["bug"]
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.delete(f"/repos/{REPO}/issues/11/labels/needs%20cla")
    assert exc.value.status_code == 404
    with pytest.raises(gidgethub.InvalidField):
        await gh.post(f"/repos/{REPO}/labels", data={"name": "BUG", "color": "000000"})

    comment = await gh.post(f"/repos/{REPO}/issues/11/comments", data={"body": "hello"})
    assert comment["user"] == {**comment["user"], "login": "governance-bot[bot]", "id": 99, "type": "Bot"}
    await gh.patch(f"/repos/{REPO}/issues/comments/{comment['id']}", data={"body": "edited"})
    assert [c["body"] for c in fake.comments(REPO, 11)] == ["edited"]
    with pytest.raises(gidgethub.BadRequest):
        await gh.post(f"/repos/{REPO}/issues/11/comments", data={})

    fake.set_permission(REPO, "bob", "write")
    fake.set_assignable(REPO, "carl")
    fake.add_user("stranger")
    issue = await gh.post(f"/repos/{REPO}/issues/11/assignees", data={"assignees": ["bob", "stranger", "carl"]})
    assert [u["login"] for u in issue["assignees"]] == ["bob", "carl"] == fake.assignees(REPO, 11)
    assert await gh.getstatus(f"/repos/{REPO}/assignees/carl") == 204
    assert await gh.getstatus(f"/repos/{REPO}/assignees/stranger") == 404
    await gh.delete(f"/repos/{REPO}/issues/11/assignees", data={"assignees": ["carl"]})
    assert fake.assignees(REPO, 11) == ["bob"]

    with pytest.raises(gidgethub.BadRequest, match="only be requested from collaborators"):
        await gh.post(f"/repos/{REPO}/pulls/11/requested_reviewers", data={"reviewers": ["stranger"]})
    fake.set_permission(REPO, "alice", "admin")
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.post(f"/repos/{REPO}/pulls/11/requested_reviewers", data={"reviewers": ["alice"]})
    assert exc.value.status_code == 422
    pr = await gh.post(f"/repos/{REPO}/pulls/11/requested_reviewers", data={"reviewers": ["bob"]})
    assert [u["login"] for u in pr["requested_reviewers"]] == ["bob"] == fake.requested_reviewers(REPO, 11)
    issue = await gh.getitem(f"/repos/{REPO}/issues/11")
    assert "pull_request" in issue and issue["comments"] == 1 and issue["labels"][0]["color"] == "d73a4a"


async def test_permissions_membership_users(fake: FakeGitHub, gh: GitHubAPI) -> None:
    for login, role in [("m", "maintain"), ("t", "triage"), ("w", "write")]:
        fake.set_permission(REPO, login, role)
    got = {login: await gh.getitem(f"/repos/{REPO}/collaborators/{login}/permission") for login in "mtw"}
    assert {k: (v["permission"], v["role_name"]) for k, v in got.items()} == \
        {"m": ("write", "maintain"), "t": ("read", "triage"), "w": ("write", "write")}
    assert got["m"]["user"]["login"] == "m"
    fake.add_user("outsider")
    assert (await gh.getitem(f"/repos/{REPO}/collaborators/outsider/permission"))["permission"] == "read"
    fake.add_repo("acme/secret", private=True)
    assert (await gh.getitem("/repos/acme/secret/collaborators/outsider/permission"))["role_name"] == "none"
    assert await gh.getstatus(f"/repos/{REPO}/collaborators/nobody-at-all/permission") == 404

    fake.add_team_member("acme", "core", "m")
    assert await gh.getstatus("/orgs/acme/members/m") == 204
    assert await gh.getstatus("/orgs/acme/members/outsider") == 404
    membership = await gh.getitem("/orgs/acme/teams/core/memberships/m")
    assert membership["state"] == "active" and membership["role"] == "member"
    assert await gh.getstatus("/orgs/acme/teams/core/memberships/w") == 404
    assert (await gh.getitem("/users/outsider"))["login"] == "outsider"
    assert await gh.getstatus("/users/ghost-user") == 404


async def test_search_issues_qualifiers(fake: FakeGitHub, gh: GitHubAPI) -> None:
    fake.add_pull_request(REPO, 1, author="alice", merged=True)
    fake.add_pull_request(REPO, 2, author="alice", title="Open work")
    fake.add_pull_request(REPO, 3, author="bob")
    fake.add_issue(REPO, 4, author="alice")
    fake.add_repo("acme/other")
    fake.add_pull_request("acme/other", 1, author="alice", merged=True)

    async def numbers(q: str) -> list[int]:
        data = await gh.getitem("/search/issues?q={q}", {"q": q})
        assert data["incomplete_results"] is False and data["total_count"] == len(data["items"])
        return sorted(i["number"] for i in data["items"])

    assert await numbers(f"repo:{REPO} author:alice type:pr is:merged") == [1]
    assert await numbers(f"repo:{REPO} author:alice is:pr") == [1, 2]
    assert await numbers(f"repo:{REPO} is:issue") == [4]
    assert await numbers(f"repo:{REPO} is:pr is:open") == [2, 3]
    assert await numbers("author:alice is:merged") == [1, 1]


async def test_latency_and_request_recording(fake: FakeGitHub, gh: GitHubAPI) -> None:
    fake.latency = 0.05
    fake.add_issue(REPO, 12, author="alice")
    t0 = time.monotonic()
    await gh.post(f"/repos/{REPO}/issues/12/comments?x=1", data={"body": "b"})
    assert time.monotonic() - t0 >= 0.05
    rec = fake.requests[-1]
    assert (rec.method, rec.path, rec.query, rec.body, rec.status) == \
        ("POST", f"/repos/{REPO}/issues/12/comments", {"x": "1"}, {"body": "b"}, 201)
    assert rec.headers["user-agent"] == "test" and "authorization" not in rec.headers and rec.at >= t0
    assert fake.writes() == [rec]
    fake.clear_requests()
    assert fake.requests == []

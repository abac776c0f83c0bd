"""The dashboard: per installation, what the bot holds and did, for the people who answer for it.

Only a signed-in person GitHub names as an owner of the installation's account, or as an
admin/maintainer of some of its repositories, sees an installation (`Auth.require`); a
maintainer sees their repositories only, and organisation-wide actions are the owners'.
Rules contribute panels through the Rule interface (`bot.dashboard`); the framework adds the
deliveries, their chart and each repository's effective rules. Every form carries the
session's CSRF token.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web

from bot.dashboard import ActionAnswer, Chart, Panel, Scope
from bot.rule import Rule
from bot.web import activity, charts, page
from bot.web.auth import Viewer
from bot.web.state import WEB_KEY, WebState

log = logging.getLogger(__name__)

NOTICES = {"retried": "The delivery is queued again; the bot runs it in a moment.",
           "not-retried": "That delivery is not failed (any more), so there was nothing to retry."}


def _scope(request: web.Request, state: WebState, viewer: Viewer) -> Scope:
    try:
        installation_id = int(request.match_info["installation"])
    except ValueError:
        raise web.HTTPNotFound() from None
    access = viewer.installation(installation_id)
    if access is None:  # not yours, or not there: the same answer
        raise web.HTTPNotFound(text=page.render_text(request, "message.html", title="Not found",
                                                     message="There is nothing here."), content_type="text/html")
    query = {k: v[:200] for k, v in request.query.items() if isinstance(v, str)}
    return Scope(store=state.store, queue=state.queue, installation_id=installation_id, account=access.account,
                 account_id=access.account_id, owner=access.owner,
                 repositories=frozenset(r.lower() for r in access.repositories), query=query, actor=viewer.login)


def _rule(state: WebState, name: str) -> Rule:
    rule = next((r for r in state.rules if r.name == name), None)
    if rule is None:
        raise web.HTTPNotFound()
    return rule


def _safe_url(url: str | None) -> str | None:
    return url if url and urlsplit(url).scheme in ("http", "https") else None


async def index(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB_KEY]
    viewer = await state.auth.require(request)
    return page.render(request, "dashboard_index.html", title="Dashboards", access=viewer.access)


async def installation(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB_KEY]
    viewer = await state.auth.require(request)
    scope = _scope(request, state, viewer)
    sections: list[tuple[str, Panel]] = []
    for rule in state.rules:
        for panel in await rule.dashboard(scope):
            sections.append((rule.name, panel))
    sections.append(("", await activity.deliveries_panel(scope)))
    sections.append(("", await activity.rules_panel(scope, state.github, state.rules)))
    chart_list: list[Chart] = [c for _, p in sections for c in p.charts] + [await activity.deliveries_chart(scope)]
    drawn = [(chart, charts.svg(chart)) for chart in chart_list]
    for _, panel in sections:
        for row in panel.rows:
            for cell in row.cells:
                cell.url = _safe_url(cell.url)
    base = f"/dashboard/{scope.installation_id}"
    return page.render(request, "dashboard.html", title=f"{scope.account} · dashboard", scope=scope,
                       sections=sections, charts=drawn, base=base, query=scope.query,
                       notice=NOTICES.get(request.query.get("notice", ""), ""),
                       export_query=urlencode(scope.query))


async def export(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB_KEY]
    viewer = await state.auth.require(request)
    scope = _scope(request, state, viewer)
    rule = _rule(state, request.match_info["rule"])
    panel, fmt = request.match_info["panel"], request.match_info["format"]
    records = await rule.dashboard_export(scope, panel)
    if records is None:
        raise web.HTTPNotFound()
    filename = f"{scope.account}-{rule.name}-{panel}.{fmt}".replace('"', "")
    headers = {"Content-Disposition": f'attachment; filename="{quote(filename)}"'}
    if fmt == "json":
        return web.Response(text=json.dumps(records, indent=2) + "\n", content_type="application/json",
                            headers=headers)
    out = io.StringIO()
    fields = list(records[0].keys()) if records else []
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in records:
        # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
        writer.writerow({k: ("'" + str(v) if isinstance(v, str) and v[:1] in "=+-@\t\r" else
                             "" if v is None else v) for k, v in record.items()})
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8", headers=headers)


async def action(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB_KEY]
    viewer, form = await state.auth.check_csrf(request)
    viewer = await state.auth.require(request)
    scope = _scope(request, state, viewer)
    rule = _rule(state, request.match_info["rule"])
    panel, name, key = request.match_info["panel"], form.get("action", ""), form.get("key", "")[:200]
    confirmed = form.get("confirmed") == "yes"
    answer = await rule.dashboard_action(scope, panel, name, key, confirmed)
    if answer is None:
        raise web.HTTPNotFound()
    return _answer(request, scope, answer, f"/dashboard/{scope.installation_id}/action/{rule.name}/{panel}",
                   name, key)


def _answer(request: web.Request, scope: Scope, answer: ActionAnswer, post_to: str, name: str,
            key: str) -> web.Response:
    back = f"/dashboard/{scope.installation_id}"
    if answer.error:
        return page.render(request, "message.html", status=400, title="Not done", message=answer.error)
    return page.render(request, "confirm.html", title="Confirm" if answer.confirm else "Done", answer=answer,
                       post_to=post_to, action=name, key=key, back=back)


async def retry(request: web.Request) -> web.StreamResponse:
    state = request.app[WEB_KEY]
    _viewer, form = await state.auth.check_csrf(request)
    viewer = await state.auth.require(request)
    scope = _scope(request, state, viewer)
    delivery_id = form.get("key", "")
    row = await state.queue.get(delivery_id) if delivery_id else None
    if row is None or row.get("installation_id") != scope.installation_id or not scope.allows(row.get("repository")):
        raise web.HTTPNotFound()
    retried = await state.queue.retry_failed(delivery_id)
    log.info("dashboard: %s retried delivery %s: %s", viewer.login, delivery_id, bool(retried))
    raise web.HTTPSeeOther(f"/dashboard/{scope.installation_id}?notice={'retried' if retried else 'not-retried'}"
                           "#deliveries")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard", index)
    app.router.add_get(r"/dashboard/{installation:\d+}", installation)
    app.router.add_get(r"/dashboard/{installation:\d+}/export/{rule}/{panel}.{format:csv|json}", export)
    app.router.add_post(r"/dashboard/{installation:\d+}/action/{rule}/{panel}", action)
    app.router.add_post(r"/dashboard/{installation:\d+}/deliveries/retry", retry)

    async def home(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/dashboard")

    app.router.add_get("/", home)


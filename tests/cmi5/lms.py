"""A cmi5 LMS for the tests: an aiohttp app on loopback (in a thread of its own, so the sync
browser tests can drive it) with what an AU talks to: the one-time fetch URL, the
LMS.LaunchData state document, the xAPI statements resource, and a return page. It records
every statement and `violations()` checks them against the cmi5 rules an AU must keep."""

import asyncio
import base64
import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
VERB = "http://adlnet.gov/expapi/verbs/"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version",
    "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
}


class Launch:
    """One launch of an AU: its registration, session, actor and launch data."""

    def __init__(self, lms: "Lms", au_url: str, au_id: str, move_on: str, mastery: float | None) -> None:
        self.lms = lms
        self.registration = str(uuid.uuid4())
        self.session_id = str(uuid.uuid4())
        self.token = base64.b64encode(secrets.token_bytes(18)).decode()
        self.fetch_id = secrets.token_urlsafe(12)
        self.fetched = 0
        self.actor = {
            "objectType": "Agent",
            "name": "Robin Frontdesk",
            "account": {"homePage": "https://lms.lincoln-usd.example", "name": "robin-4242"},
        }
        self.au_id = au_id
        self.launch_data: dict[str, Any] = {
            "contextTemplate": {
                "contextActivities": {"grouping": [{"id": au_id, "objectType": "Activity"}]},
                "extensions": {SESSION: self.session_id},
            },
            "launchMode": "Normal",
            "launchMethod": "AnyWindow",
            "moveOn": move_on,
            "returnURL": f"{lms.url}/return",
        }
        if mastery is not None:
            self.launch_data["masteryScore"] = mastery
        query = {
            "endpoint": f"{lms.url}/xapi/",
            "fetch": f"{lms.url}/fetch/{self.fetch_id}",
            "actor": json.dumps(self.actor),
            "registration": self.registration,
            "activityId": au_id,
        }
        self.url = f"{au_url}&{urlencode(query)}"
        self.statements: list[dict[str, Any]] = []
        self.requests: list[str] = []

    def verbs(self) -> list[str]:
        return [s["verb"]["id"].removeprefix(VERB) for s in self.statements]

    def violations(self) -> list[str]:
        """What breaks cmi5's AU rules (cmi5 spec 9.3, 9.6, 10), if anything."""
        problems: list[str] = []
        verbs = self.verbs()
        if verbs[:1] != ["initialized"]:
            problems.append(f"the first statement must be initialized: {verbs}")
        if verbs[-1:] != ["terminated"]:
            problems.append(f"the last statement must be terminated: {verbs}")
        if len(set(verbs)) != len(verbs):
            problems.append(f"a cmi5 verb was sent twice in one session: {verbs}")
        data = self.launch_data
        for statement in self.statements:
            verb = statement["verb"]["id"].removeprefix(VERB)
            context = statement.get("context", {})
            categories = [c["id"] for c in context.get("contextActivities", {}).get("category", [])]
            result = statement.get("result", {})
            uuid.UUID(statement["id"])
            if statement["actor"] != self.actor:
                problems.append(f"{verb}: the actor is not the launch's")
            if statement["object"] != {"id": self.au_id, "objectType": "Activity"}:
                problems.append(f"{verb}: the object is not the AU")
            if context.get("registration") != self.registration:
                problems.append(f"{verb}: not the launch's registration")
            if context.get("extensions", {}).get(SESSION) != self.session_id:
                problems.append(f"{verb}: no session id from the context template")
            if (
                context.get("contextActivities", {}).get("grouping")
                != data["contextTemplate"]["contextActivities"]["grouping"]
            ):
                problems.append(f"{verb}: the context template's activities are missing")
            if CMI5 not in categories:
                problems.append(f"{verb}: no cmi5 category")
            if "timestamp" not in statement:
                problems.append(f"{verb}: no timestamp")
            if verb in ("completed", "passed") and MOVE_ON not in categories:
                problems.append(f"{verb}: no moveOn category")
            if verb in ("completed", "passed", "terminated") and not str(
                result.get("duration", "")
            ).startswith("PT"):
                problems.append(f"{verb}: no ISO 8601 duration")
            if verb == "completed" and result.get("completion") is not True:
                problems.append("completed: result.completion is not true")
            if verb == "passed":
                scaled = result.get("score", {}).get("scaled")
                if (
                    result.get("success") is not True
                    or scaled is None
                    or scaled < data.get("masteryScore", 0)
                ):
                    problems.append(
                        f"passed: success and a score at least the mastery score needed: {result}"
                    )
                if context.get("extensions", {}).get(MASTERY) != data.get("masteryScore"):
                    problems.append("passed: no masteryScore extension")
        return problems


class Lms:
    """The LMS: `launch()` makes a launch of an AU; the statements land on it."""

    def __init__(self) -> None:
        self.url = ""
        self.launches: dict[str, Launch] = {}
        self.errors: list[str] = []

    def launch(self, au_url: str, au_id: str, move_on: str, mastery: float | None) -> Launch:
        launch = Launch(self, au_url, au_id, move_on, mastery)
        self.launches[launch.fetch_id] = launch
        return launch

    def _by_token(self, request: web.Request) -> Launch:
        if request.headers.get("X-Experience-API-Version", "")[:3] != "1.0":
            self.errors.append(f"{request.path}: no X-Experience-API-Version")
        token = request.headers.get("Authorization", "").removeprefix("Basic ")
        for launch in self.launches.values():
            if launch.fetched and launch.token == token:
                return launch
        self.errors.append(f"{request.path}: a request without the launch's auth token")
        raise web.HTTPUnauthorized(headers=CORS)

    async def fetch(self, request: web.Request) -> web.Response:
        launch = self.launches.get(request.match_info["id"])
        if launch is None:
            raise web.HTTPNotFound(headers=CORS)
        launch.fetched += 1
        if launch.fetched > 1:  # cmi5 8.2: the fetch URL answers once
            return web.json_response(
                {"error-code": "1", "error-text": "already used"}, status=401, headers=CORS
            )
        return web.json_response({"auth-token": launch.token}, headers=CORS)

    async def state(self, request: web.Request) -> web.Response:
        launch = self._by_token(request)
        query = request.query
        agent = json.loads(query.get("agent", "null"))
        expected = ("LMS.LaunchData", launch.au_id, launch.registration, launch.actor)
        if (query.get("stateId"), query.get("activityId"), query.get("registration"), agent) != expected:
            self.errors.append(f"state: the wrong document was asked for: {dict(query)}")
            raise web.HTTPNotFound(headers=CORS)
        launch.requests.append("state")
        return web.json_response(launch.launch_data, headers=CORS)

    async def statements(self, request: web.Request) -> web.Response:
        launch = self._by_token(request)
        body = await request.json()
        for statement in body if isinstance(body, list) else [body]:
            if launch.requests[:1] != ["state"]:
                self.errors.append("a statement came before the launch data was read (cmi5 10)")
            launch.statements.append(statement)
        return web.json_response(
            [s["id"] for s in (body if isinstance(body, list) else [body])], headers=CORS
        )

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(headers=CORS)

    async def back(self, request: web.Request) -> web.Response:
        page = "<!doctype html><html lang='en'><title>LMS</title><h1>Back in the LMS course</h1></html>"
        return web.Response(text=page, content_type="text/html")

    @contextmanager
    def running(self) -> Iterator["Lms"]:
        app = web.Application()
        app.router.add_post("/fetch/{id}", self.fetch)
        app.router.add_get("/xapi/activities/state", self.state)
        app.router.add_post("/xapi/statements", self.statements)
        app.router.add_route("OPTIONS", "/{tail:.*}", self.preflight)
        app.router.add_get("/return", self.back)
        loop = asyncio.new_event_loop()
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

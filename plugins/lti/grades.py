"""Grades back (LTI Assignment and Grade Services): a completion becomes a score on the
launch's line item. Access tokens (client credentials with a signed JWT assertion) are cached
per (issuer, client id, scopes) until shortly before they expire. Line items are found or
created when the launch gave none."""

import asyncio
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from sqlalchemy import select, update

from plugins.contract import Completion, Outcome, UnsafeDestination, classify
from plugins.lti.models import LtiLaunch, LtiRegistration
from plugins.lti.service import SCORE, Runtime
from schemas.events import LtiStarted

LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
EARLY = 60.0
"""Seconds before `expires_in` runs out that a cached access token is renewed."""
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"


class GradeError(Exception):
    """A platform answered in a way that needs another try (or an administrator)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def millis(at: datetime) -> str:
    """UTC with milliseconds, as AGS asks."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def access_token(runtime: Runtime, row: LtiRegistration, scopes: list[str]) -> str:
    scope = " ".join(sorted(scopes))
    cache_key = (row.issuer, row.client_id, scope)
    cached = runtime.access_tokens.get(cache_key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    async with runtime.locks.setdefault(f"token {cache_key}", asyncio.Lock()):  # one request at a time
        cached = runtime.access_tokens.get(cache_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return await _request_token(runtime, row, scope, cache_key)


async def _request_token(
    runtime: Runtime, row: LtiRegistration, scope: str, cache_key: tuple[str, str, str]
) -> str:
    key = await runtime.tool_keys.signing()
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": row.client_id,
            "sub": row.client_id,
            "aud": row.auth_audience or row.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        },
        key.private,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    response = await runtime.http.post(
        row.auth_token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": scope,
        },
        follow_redirects=False,
    )
    if response.status_code != 200:
        raise GradeError(f"the token endpoint answered {response.status_code}", response.status_code)
    body = response.json()
    token = str(body["access_token"])
    expires_in = float(body.get("expires_in", 3600))
    runtime.access_tokens[cache_key] = (token, time.monotonic() + max(0.0, expires_in - EARLY))
    return token


async def _lineitem(runtime: Runtime, row: LtiRegistration, link: LtiLaunch, title: str) -> str:
    """The line item of the link: the launch's, or one found or created in its line items."""
    if link.lineitem:
        return link.lineitem
    if not link.lineitems or LINEITEM not in link.scopes:
        raise GradeError("the launch gave no line item and no permission to make one")
    # One find-or-create at a time per line-item container and module: concurrent completions
    # of the same link would otherwise each create a gradebook column.
    lock = runtime.locks.setdefault(f"{link.lineitems} {link.module_id}", asyncio.Lock())
    async with lock:
        return await _find_or_create(runtime, row, link, link.lineitems, title)


async def _find_or_create(
    runtime: Runtime, row: LtiRegistration, link: LtiLaunch, lineitems: str, title: str
) -> str:
    token = await access_token(runtime, row, [LINEITEM])
    headers = {"Authorization": f"Bearer {token}"}
    params = {"resource_id": link.module_id}
    if link.resource_link_id:
        params["resource_link_id"] = link.resource_link_id
    found = await runtime.http.get(
        lineitems, params=params, headers={**headers, "Accept": LINEITEMS_TYPE}, follow_redirects=False
    )
    if found.status_code == 200:
        for item in found.json():
            if isinstance(item, dict) and item.get("resourceId") == link.module_id and item.get("id"):
                return str(item["id"])
    created = await runtime.http.post(
        lineitems,
        json={
            "scoreMaximum": 100,
            "label": title,
            "resourceId": link.module_id,
            **({"resourceLinkId": link.resource_link_id} if link.resource_link_id else {}),
        },
        headers={**headers, "Content-Type": LINEITEM_TYPE},
        follow_redirects=False,
    )
    if created.status_code not in (200, 201):
        raise GradeError(f"creating the line item answered {created.status_code}", created.status_code)
    return str(created.json()["id"])


async def post_score(
    runtime: Runtime, launch_id: uuid.UUID, score: float | None, completed: datetime, title: str
) -> Outcome:
    """Send a completion's score (kept as of `completed`: the platform keeps the newest)."""
    given = round(score * 100, 2) if score is not None else 100.0
    body = {
        "scoreGiven": given,
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": millis(completed),
    }
    async with runtime.locks.setdefault(f"launch {launch_id}", asyncio.Lock()):
        return await _send(runtime, launch_id, title, body)


async def post_started(runtime: Runtime, launch_id: uuid.UUID, event: LtiStarted) -> Outcome:
    """Send `Started` for a first launch: no scoreGiven, as AGS asks
    of a score not yet given. Never once the learner has completed the module: the Completed
    score is sent (or is queued) then, and a Started after it would undo it on some LMSs."""
    body = {"activityProgress": "Started", "gradingProgress": "NotReady", "timestamp": millis(event.at)}
    # Under the launch's lock: a Completed score of the same launch is not sent meanwhile.
    async with runtime.locks.setdefault(f"launch {launch_id}", asyncio.Lock()):
        async with runtime.sessions() as session:
            link = await session.get(LtiLaunch, launch_id)
            done = (
                await session.execute(
                    select(Completion.id)
                    .where(
                        Completion.learner_id == link.learner_id,
                        Completion.module_id == link.module_id,
                        Completion.voided_at.is_(None),
                    )
                    .limit(1)
                )
                if link is not None
                else None
            )
        if done is not None and done.first() is not None:
            return Outcome(result="gone", error="not sent: the learner has completed the module since")
        return await _send(runtime, launch_id, "", body)


async def _send(runtime: Runtime, launch_id: uuid.UUID, title: str, body: dict[str, Any]) -> Outcome:
    """POST a score (`body` without userId) to the launch's line item."""
    started = time.perf_counter()
    async with runtime.sessions() as session:
        link = await session.get(LtiLaunch, launch_id)
        row = await session.get(LtiRegistration, link.registration_id) if link is not None else None
    if link is None or row is None:
        return Outcome(result="gone", error="the launch or its registration was deleted")
    if SCORE not in link.scopes:
        return Outcome(result="gone", error="the platform did not grant the score scope")
    try:
        lineitem = await _lineitem(runtime, row, link, title or link.module_id)
        if lineitem != link.lineitem:
            async with runtime.sessions.begin() as session:
                await session.execute(
                    update(LtiLaunch).where(LtiLaunch.id == link.id).values(lineitem=lineitem)
                )
        token = await access_token(runtime, row, [SCORE])
        path, _, query = lineitem.partition("?")
        url = f"{path.rstrip('/')}/scores" + (f"?{query}" if query else "")
        response = await runtime.http.post(
            url,
            json={"userId": link.sub, **body},
            headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE},
            follow_redirects=False,
        )
    except GradeError as exc:
        return Outcome(result="retry", error=str(exc), status_code=exc.status)
    except UnsafeDestination as exc:
        return Outcome(result="retry", error=str(exc))
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return Outcome(result="retry", error=f"{type(exc).__name__}: {exc}"[:1000])
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code == 401:
        runtime.access_tokens.clear()  # a token revoked early: the retry asks for a new one
    result = classify(response.status_code)
    return Outcome(
        result=result,
        status_code=response.status_code,
        response_excerpt=response.text[:1024],
        duration_ms=elapsed,
        error=None if result == "success" else f"the platform answered {response.status_code}",
    )

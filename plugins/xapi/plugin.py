"""The xAPI plugin: each submitted knowledge check and each completion of a district, sent as xAPI
statements to the district's Learning Record Store (any LRS: xAPI 1.0.3 or 2.0.0, HTTP Basic
credentials), over the guarded HTTP client, retried on the outbox's schedule. Statement ids are
derived from the event, so a retried delivery sends the same statements and the LRS keeps one
of each (it answers 204, or 409 for ids it has: either way, delivered)."""

import time
from collections.abc import Sequence
from typing import Annotated, ClassVar, Literal

import httpx
import msgspec
from litestar.types import ControllerRouterHandler
from msgspec import Meta

from plugins.contract import (
    Attempt,
    Context,
    Delivery,
    FrontOfficeError,
    Outcome,
    Plugin,
    SecretStr,
    UnsafeDestination,
    check_url,
    classify,
    load_config,
)
from plugins.xapi.controllers import XapiController
from plugins.xapi.statements import AttemptFacts, Statement, Urls, attempt_statements, completion_statements
from schemas.events import AttemptSubmittedEvent, CompletionRecordedEvent

EXCERPT = 1024


class XapiConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's LRS."""

    endpoint: Annotated[
        str,
        Meta(
            pattern=r"^https?://\S+$",
            max_length=2000,
            description="The LRS's xAPI endpoint, e.g. `https://lrs.example.org/xAPI/` "
            "(statements go to its `statements` resource).",
        ),
    ]
    key: Annotated[
        str, Meta(min_length=1, max_length=500, description="The LRS credential's key (username).")
    ]
    secret: SecretStr
    """The LRS credential's secret (password)."""
    version: Annotated[
        Literal["1.0.3", "2.0.0"],
        Meta(description="The xAPI version the LRS speaks (`X-Experience-API-Version`)."),
    ] = "1.0.3"
    responses: Annotated[
        bool,
        Meta(description="Send each answer (`result.response`); false: only whether it was right."),
    ] = True


class XapiPlugin(Plugin):
    name: ClassVar[str] = "xapi"
    config_type: ClassVar[type[msgspec.Struct]] = XapiConfig
    events: ClassVar[frozenset[str]] = frozenset({"attempt.submitted", "completion.recorded"})

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [XapiController]

    async def deliver(self, context: Context, delivery: Delivery) -> Outcome:
        config = await load_config(context.sessions, context.secret_box, self, delivery.district_id)
        if not isinstance(config, XapiConfig):
            return Outcome(result="retry", error="the xAPI plugin has no configuration for this district")
        urls = Urls(context.settings.base_url, delivery.district_id)
        try:
            statements = await self._statements(context, urls, config, delivery)
        except FrontOfficeError as exc:  # the module version is not there (yet): try again later
            return Outcome(result="retry", error=exc.detail[:1000])
        if not statements:
            return Outcome(result="success", response_excerpt="nothing to send")
        return await _post(context, config, statements)

    async def _statements(
        self, context: Context, urls: Urls, config: XapiConfig, delivery: Delivery
    ) -> list[Statement]:
        event = delivery.event
        if isinstance(event, CompletionRecordedEvent):
            data = event.data
            entry = await context.catalog.entry(data.module_id, data.module_version)
            titles = {lang: context.catalog.localized(entry, lang).title for lang in entry.locales}
            return completion_statements(
                urls,
                event_id=event.id,
                completion_id=data.completion_id,
                learner_id=data.learner.id,
                module_id=data.module_id,
                module_titles=titles,
                module_version=data.module_version,
                score=data.score,
                passed=data.passed,
                started_at=data.started_at,
                completed_at=data.completed_at,
            )
        if isinstance(event, AttemptSubmittedEvent):
            async with context.sessions() as session:
                attempt = await session.get(Attempt, event.data.attempt_id)
            if attempt is None or attempt.district_id != delivery.district_id:
                return []  # the learner's records were erased since: nothing left to report
            entry = await context.catalog.entry(attempt.module_id, attempt.module_version)
            forms = {
                lang: next(f for f in context.catalog.localized(entry, lang).forms if f.id == attempt.form_id)
                for lang in entry.locales
            }
            if forms["en"].policy.identity == "anonymous":
                return []  # an anonymous form's answers never leave Front Office with a name
            facts = AttemptFacts(
                event_id=event.id,
                attempt_id=attempt.id,
                learner_id=attempt.learner_id,
                module=entry.module,
                module_version=attempt.module_version,
                form=forms["en"],
                localized_forms=forms,
                item_order=attempt.item_order,
                answers=attempt.answers,
                score=attempt.score,
                passed=attempt.passed,
                started_at=attempt.started_at,
                submitted_at=attempt.submitted_at or event.data.submitted_at,
            )
            return attempt_statements(urls, facts, responses=config.responses)
        return []


async def _post(context: Context, config: XapiConfig, statements: list[Statement]) -> Outcome:
    """POST the statements as one batch; 200/204 and 409 (ids it has) are delivered."""
    url = config.endpoint.rstrip("/") + "/statements"
    started = time.perf_counter()
    try:
        check_url(url, allow_http=context.settings.webhook_allow_http)
        response = await context.http.post(
            url,
            content=msgspec.json.encode(statements),
            headers={"Content-Type": "application/json", "X-Experience-API-Version": config.version},
            auth=httpx.BasicAuth(config.key, config.secret),
            timeout=context.settings.webhook_timeout_seconds,
        )
    except (UnsafeDestination, ValueError) as exc:
        return Outcome(result="retry", error=f"the LRS endpoint cannot be used: {exc}"[:1000])
    except httpx.TimeoutException:
        return Outcome(result="retry", error="timed out", duration_ms=(time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return Outcome(result="retry", error=f"{type(exc).__name__}: {exc}"[:1000])
    elapsed = (time.perf_counter() - started) * 1000
    status = response.status_code
    # 409: the LRS has statements with these ids, which only an earlier delivery of this event made.
    delivered = status == 409 or classify(status) == "success"
    return Outcome(
        result="success" if delivered else "retry",
        status_code=status,
        response_excerpt=response.text[:EXCERPT],
        duration_ms=elapsed,
        retry_after=None if delivered else response.headers.get("retry-after"),
        error=None if delivered else f"the LRS answered {status}",
    )

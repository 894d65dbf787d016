"""Correctly signed launches whose claims hold values of every JSON type and size: each is
answered 303 or a 4xx problem, never a 5xx, and a value of the wrong type or size is a 4xx.

Every claim the tool reads is replaced, at the top and inside, by each value of a fixed sweep
(every JSON type, the sizes around the tables' limits, NUL and an unpaired surrogate), then by
values hypothesis draws (derandomized, so a run is repeatable)."""

from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import jwt
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.db import Sessions
from tests.conftest import Tenant
from tests.lti.conftest import INSTRUCTOR, LEARNER, MODULE, Client, fragment, learners, login, register
from tests.lti.platform import Platform

pytestmark = pytest.mark.anyio
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
PROBLEM = "application/problem+json"


def clean(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def text(low: int = 0, high: int = 10_000, *, null: bool = False) -> Callable[[Any], bool]:
    def fits(value: Any) -> bool:
        if value is None:
            return null
        return isinstance(value, str) and low <= len(value) <= high and clean(value)

    return fits


def deep_clean(value: Any) -> bool:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return all(clean(k) and deep_clean(v) for k, v in value.items())
    return not isinstance(value, list) or all(deep_clean(v) for v in value)


def data(value: Any) -> bool:
    """Any JSON value, kept as JSON text of at most 4,000 characters."""
    return deep_clean(value) and len(msgspec.json.encode(value).decode()) <= 4000


def strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and clean(v) for v in value)


def members(**checks: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """An object whose members named here fit (absent ones count as null); others are ignored."""

    def fits(value: Any) -> bool:
        return isinstance(value, dict) and all(check(value.get(k)) for k, check in checks.items())

    return fits


def nullable(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | float) or (isinstance(value, str) and clean(value))


def never(value: Any) -> bool:
    return False


URL = text(1, 2000)
DL_SETTINGS = members(
    deep_link_return_url=URL,
    accept_types=lambda v: strings(v) and "ltiResourceLink" in v,
    accept_presentation_document_targets=lambda v: strings(v) and bool(v),
    accept_multiple=lambda v: v is None or isinstance(v, bool),
    data=data,
)
# (claim, member or None, deep-linking launch?) -> what fits there.
CLAIMS: dict[tuple[str, str | None, bool], Callable[[Any], bool]] = {
    ("sub", None, False): text(1, 255),
    ("name", None, False): text(null=True),
    ("email", None, False): text(null=True),
    ("nonce", None, False): never,
    (LTI + "message_type", None, False): lambda v: v == "LtiResourceLinkRequest",
    (LTI + "version", None, False): lambda v: v == "1.3.0",
    (LTI + "deployment_id", None, False): lambda v: v == "dep-1",
    (LTI + "roles", None, False): strings,
    (LTI + "custom", None, False): nullable(members(module=scalar, school=scalar, employee_id=scalar)),
    # None or "": the module its resource link showed before.
    (LTI + "custom", "module", False): lambda v: v in (MODULE, None, ""),
    (LTI + "resource_link", None, False): members(id=text(1, 255)),
    (LTI + "resource_link", "id", False): text(1, 255),
    (LTI + "context", None, False): nullable(members(id=text(null=True), title=text(null=True))),
    (LTI + "context", "title", False): text(null=True),
    (LTI + "launch_presentation", None, False): nullable(members(locale=text(0, 100, null=True))),
    (LTI + "launch_presentation", "locale", False): text(0, 100, null=True),
    (AGS, None, False): nullable(
        members(scope=lambda v: v is None or strings(v), lineitem=text(1, 2000, null=True))
    ),
    (AGS, "lineitem", False): text(1, 2000, null=True),
    (AGS, "lineitems", False): text(1, 2000, null=True),
    (AGS, "scope", False): strings,
    (DL, None, True): DL_SETTINGS,
    (DL, "deep_link_return_url", True): URL,
    (DL, "data", True): data,
    (DL, "accept_types", True): lambda v: strings(v) and "ltiResourceLink" in v,
    (DL, "accept_multiple", True): lambda v: v is None or isinstance(v, bool),
    (DL, "accept_presentation_document_targets", True): lambda v: strings(v) and bool(v),
}
SWEEP: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    "",
    "x",
    "a\x00b",
    "\ud800",
    "é" * 256,
    "x" * 2001,
    "x" * 4001,
    [],
    ["ltiResourceLink", 1],
    {},
    {"id": {"a": [None]}, "title": 7, "locale": [], "deep_link_return_url": "x" * 2001},
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.integers(0, 4100).map(lambda n: "y" * n),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def replaced(claims: dict[str, Any], claim: str, member: str | None, value: Any) -> None:
    if member is None:
        claims[claim] = value
    else:
        claims[claim] = {**claims.get(claim, {}), member: value}


async def signed_launch(
    client: Client,
    platform: Platform,
    change: Callable[[dict[str, Any]], None],
    *,
    deep_link: bool = False,
    sub: str = "shape-user",
) -> httpx.Response:
    """A launch the platform signs after `change` has altered its claims."""
    auth = await login(client, platform, sub)
    form = platform.launch(
        auth,
        sub=sub,
        roles=INSTRUCTOR if deep_link else LEARNER,
        custom={} if deep_link else {"module": MODULE},
        deep_link=deep_link,
        ags_lineitem=f"{platform.url}/lineitems/1",
    )
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    change(claims)
    token = jwt.encode(claims, platform.signing_key, algorithm="RS256", headers={"kid": platform.kid})
    return await client.post(
        "/lti/launch", data={"id_token": token, "state": form["state"]}, follow_redirects=False
    )


async def answer(
    client: Client, platform: Platform, case: tuple[str, str | None, bool], value: Any
) -> tuple[int, str]:
    claim, member, deep_link = case
    response = await signed_launch(
        client, platform, lambda claims: replaced(claims, claim, member, value), deep_link=deep_link
    )
    return response.status_code, response.headers.get("content-type", "")


def check(case: tuple[str, str | None, bool], value: Any, status: int, content_type: str) -> None:
    where = f"{case[0]}{'.' + case[1] if case[1] else ''} = {value!r:.80}"
    assert status < 500, where
    if status != 303:
        assert status in (400, 401, 403, 422) and content_type.startswith(PROBLEM), (status, where)
    if not CLAIMS[case](value):
        assert 400 <= status < 500, (status, where)


async def test_claims_of_every_type_and_size_are_a_4xx_never_a_5xx(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    for case in CLAIMS:
        for value in SWEEP:
            status, content_type = await answer(lti_client, canvas, case, value)
            check(case, value, status, content_type)

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=st.sampled_from(list(CLAIMS)), value=JSON)
    def drawn(case: tuple[str, str | None, bool], value: Any) -> None:
        status, content_type = anyio.from_thread.run(answer, lti_client, canvas, case, value)
        check(case, value, status, content_type)

    await anyio.to_thread.run_sync(drawn)


def _without_return_url(claims: dict[str, Any]) -> None:
    del claims[DL]["deep_link_return_url"]


# The review's cases, each refused with a 422 naming the claim (the property above covers more).
NAMED: list[tuple[str, Callable[[dict[str, Any]], None], bool, str]] = [
    (
        "presentation-string",
        lambda c: replaced(c, LTI + "launch_presentation", None, "es"),
        False,
        "launch_presentation",
    ),
    (
        "presentation-list",
        lambda c: replaced(c, LTI + "launch_presentation", None, ["es"]),
        False,
        "launch_presentation",
    ),
    ("context-string", lambda c: replaced(c, LTI + "context", None, "course-1"), False, "claim/context"),
    ("context-list", lambda c: replaced(c, LTI + "context", None, ["course-1"]), False, "claim/context"),
    ("lineitem-object", lambda c: replaced(c, AGS, "lineitem", {"id": "x"}), False, "lineitem"),
    ("sub-too-long", lambda c: replaced(c, "sub", None, "s" * 256), False, "sub"),
    ("dl-without-return-url", _without_return_url, True, "deep_link_return_url"),
    ("dl-settings-string", lambda c: replaced(c, DL, None, "settings"), True, "deep_linking_settings"),
    (
        "dl-return-url-too-long",
        lambda c: replaced(c, DL, "deep_link_return_url", "https://x.example/" + "r" * 2000),
        True,
        "deep_link_return_url",
    ),
    ("dl-data-too-long", lambda c: replaced(c, DL, "data", "d" * 4001), True, "data"),
    (
        "dl-without-resource-links",
        lambda c: replaced(c, DL, "accept_types", ["link", "file"]),
        True,
        "ltiResourceLink",
    ),
    ("nul-in-name", lambda c: replaced(c, "name", None, "Pat\x00"), False, "$.name"),
]


async def test_the_reviews_claims_are_each_a_422_naming_the_claim(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    for case, change, deep_link, words in NAMED:
        response = await signed_launch(lti_client, canvas, change, deep_link=deep_link)
        assert response.status_code == 422, (case, response.text)
        body = response.json()
        assert response.headers["content-type"].startswith(PROBLEM)
        assert words in body["detail"] and "administrator" in body["detail"], (case, body["detail"])
        assert body["errors"] and words.strip("$.") in body["errors"][0]["field"] + body["detail"], case
    assert await learners(sessions) == 0


async def test_deep_linking_with_accept_multiple_false_answers_one_item(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    for multiple, count in ((False, 1), (True, 2), (None, 2)):
        response = await signed_launch(
            lti_client,
            canvas,
            lambda c, multiple=multiple: replaced(c, DL, "accept_multiple", multiple),
            deep_link=True,
        )
        got = fragment(response)
        answered = await lti_client.post(
            f"/api/v1/lti/deep-links/{got['dl']}/response",
            json={"modules": [MODULE, "why-service-matters"]},
            headers={"Authorization": f"Bearer {got['token']}"},
        )
        assert answered.status_code == 200, answered.text
        items = canvas.verify_deep_link(answered.json()["jwt"])
        assert [i["custom"]["module"] for i in items] == [MODULE, "why-service-matters"][:count], multiple


async def test_deep_linking_data_goes_back_as_it_came(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    for data in ("csrftoken:c7fbba78", {"opaque": "x1", "n": [1, 2]}):
        response = await signed_launch(
            lti_client,
            canvas,
            lambda c, data=data: replaced(c, DL, "data", data),
            deep_link=True,
        )
        got = fragment(response)
        answered = await lti_client.post(
            f"/api/v1/lti/deep-links/{got['dl']}/response",
            json={"modules": [MODULE]},
            headers={"Authorization": f"Bearer {got['token']}"},
        )
        sent = jwt.decode(answered.json()["jwt"], options={"verify_signature": False})
        assert sent["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == data

"""OneRoster 1.1 and 1.2 over REST: a district's SIS read through the guarded outbound client
with an OAuth 2 client-credentials token, each collection paged with `limit`/`offset`, and the
records turned into the same orgs/users/roles tables as a CSV bundle, so the one mapping and the
one set of row checks apply (`oneroster.read_tables`).

Endpoints (under the configured base URL, e.g. `https://sis.example.org`):

- 1.1: `/ims/oneroster/v1p1/orgs` and `/ims/oneroster/v1p1/users` (a user's `role` and its
  `orgs`, `[{"sourcedId": …}]`, stand for 1.1's CSV columns `role` and `orgSourcedIds`).
- 1.2: `/ims/oneroster/rostering/v1p2/orgs` and `/ims/oneroster/rostering/v1p2/users` (a user's
  `roles`, `[{"roleType", "role", "org": {"sourcedId"}}]`, stand for roles.csv).

A problem's "line" is the record's place in its collection (`users.csv line 3` is the third
user the server listed). Anything unusable from the server (a refused token, a status other than
200, a body that is not the collection) is a `SourceFailure` naming the URL and what came back.
"""

from collections.abc import Mapping
from typing import Any

import httpx
import msgspec

from api.outbound import UnsafeDestination
from api.roster.oneroster import Bundle, Rows, read_tables
from schemas.hr import OneRosterVersion

PAGE = 500
MAX_RECORDS = 100_000  # per collection: more than any district's staff and orgs
PATHS: dict[str, str] = {"1.1": "/ims/oneroster/v1p1", "1.2": "/ims/oneroster/rostering/v1p2"}
SCOPES: dict[str, str] = {
    "1.1": "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly",
    "1.2": "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
}
TOKEN = msgspec.json.Decoder(dict[str, Any])
PAGE_BODY = msgspec.json.Decoder(dict[str, Any])


class SourceFailure(Exception):
    """The OneRoster server answered something that can't be imported; the message says what,
    in words an administrator can act on (it is recorded as the run's outcome)."""


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """Where a district's OneRoster server is and how to sign in to it."""

    base_url: str
    version: OneRosterVersion
    token_url: str
    client_id: str
    client_secret: str


async def token(http: httpx.AsyncClient, source: Source) -> str:
    """An access token by OAuth 2 client credentials (the client authenticated with HTTP Basic)."""
    try:
        response = await http.post(
            source.token_url,
            data={"grant_type": "client_credentials", "scope": SCOPES[source.version]},
            auth=(source.client_id, source.client_secret),
        )
    except (httpx.HTTPError, UnsafeDestination) as exc:
        raise SourceFailure(f"the token endpoint {source.token_url} could not be reached: {exc}") from exc
    if response.status_code != 200:
        raise SourceFailure(
            f"the token endpoint {source.token_url} answered {response.status_code}; "
            "check the client id and secret"
        )
    try:
        access = TOKEN.decode(response.content).get("access_token")
    except msgspec.DecodeError as exc:
        raise SourceFailure(f"the token endpoint {source.token_url} did not answer JSON") from exc
    if not isinstance(access, str) or not access:
        raise SourceFailure(f"the token endpoint {source.token_url} answered no access_token")
    return access


async def collection(http: httpx.AsyncClient, url: str, key: str, bearer: str) -> list[dict[str, Any]]:
    """Every record of one collection, page by page (`limit`/`offset`)."""
    records: list[dict[str, Any]] = []
    while True:
        try:
            response = await http.get(
                url,
                params={"limit": PAGE, "offset": len(records)},
                headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
            )
        except (httpx.HTTPError, UnsafeDestination) as exc:
            raise SourceFailure(f"{url} could not be reached: {exc}") from exc
        if response.status_code != 200:
            raise SourceFailure(f"{url} answered {response.status_code} at offset {len(records)}")
        try:
            page = PAGE_BODY.decode(response.content).get(key)
        except msgspec.DecodeError as exc:
            raise SourceFailure(f"{url} did not answer JSON at offset {len(records)}") from exc
        if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
            raise SourceFailure(f"{url} did not answer a list of {key} at offset {len(records)}")
        records.extend(page)
        if len(records) > MAX_RECORDS:
            raise SourceFailure(f"{url} lists more than {MAX_RECORDS:,} {key}")
        # A server may cap `limit` below ours: X-Total-Count (which OneRoster servers send) says
        # when every record is in; without it, an empty page does.
        total = response.headers.get("X-Total-Count", "")
        if not page or (total.isdigit() and len(records) >= int(total)):
            return records


def text(value: object) -> str:
    """A JSON value as the CSV binding writes it (1.2 sends booleans, 1.1 strings)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str | int | float) else ""


def ref(value: object) -> str:
    """The sourcedId of a GUIDRef (`{"sourcedId": …, "type": …}`)."""
    return text(value.get("sourcedId")) if isinstance(value, Mapping) else ""


def tables(version: OneRosterVersion, orgs: list[dict[str, Any]], users: list[dict[str, Any]]) -> Bundle:
    """The REST records as the CSV tables, read by the CSV bundle's mapping."""
    org_rows: Rows = [
        (n, {c: text(org.get(c)) for c in ("sourcedId", "name", "type", "identifier")})
        for n, org in enumerate(orgs, 1)
    ]
    user_rows: Rows = []
    role_rows: Rows = []
    for n, user in enumerate(users, 1):
        row = {
            c: text(user.get(c))
            for c in ("sourcedId", "status", "enabledUser", "givenName", "familyName", "identifier", "email")
        }
        if version == "1.1":
            row["role"] = text(user.get("role"))
            links = user.get("orgs")
            row["orgSourcedIds"] = ",".join(ref(o) for o in links) if isinstance(links, list) else ""
        else:
            roles = user.get("roles")
            for i, role in enumerate(roles if isinstance(roles, list) else [], 1):
                if isinstance(role, Mapping):
                    role_rows.append(
                        (
                            len(role_rows) + 1,
                            {
                                "sourcedId": f"{row['sourcedId']}#{i}",
                                "status": row["status"],
                                "userSourcedId": row["sourcedId"],
                                "roleType": text(role.get("roleType")),
                                "role": text(role.get("role")),
                                "orgSourcedId": ref(role.get("org")),
                            },
                        )
                    )
        user_rows.append((n, row))
    return read_tables(version, org_rows, user_rows, role_rows)


async def fetch(http: httpx.AsyncClient, source: Source) -> Bundle:
    """The district's staff from its OneRoster server, mapped as a CSV bundle's would be."""
    bearer = await token(http, source)
    base = source.base_url.rstrip("/") + PATHS[source.version]
    orgs = await collection(http, f"{base}/orgs", "orgs", bearer)
    users = await collection(http, f"{base}/users", "users", bearer)
    return tables(source.version, orgs, users)

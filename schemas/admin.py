"""Payloads of the admin area: the district and its API keys."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire

LOGO_MAX_BYTES = 256 * 1024

ScopeName = Literal[
    "admin",
    "content:read",
    "content:facilitate",
    "progress:write",
    "reports:read",
    "hr:read",
    "feedback:read",
    "dialogues:read",
    "dialogues:write",
    "assignments:write",
    "measures:write",
    "plans:read",
    "plans:write",
    "impact:read",
    "workshops:run",
]


class DistrictView(Wire):
    """A district (tenant)."""

    id: uuid.UUID
    slug: Annotated[str, Meta(description="Short unique name, e.g. `springfield`.")]
    name: str
    created_at: datetime
    time_zone: Annotated[
        str,
        Meta(
            description="IANA time zone (e.g. `America/Chicago`) of dates people read: sheets, certificates."
        ),
    ] = "UTC"
    signer_name: Annotated[str, Meta(description="Who signs the certificates, e.g. `Dr. Ana Ruiz`.")] = ""
    signer_title: Annotated[str, Meta(description="The signer's title, e.g. `Superintendent`.")] = ""
    has_logo: Annotated[bool, Meta(description="Whether certificates print the district's logo.")] = False


class DistrictSettings(Wire, kw_only=True):
    """A change to the district's settings: only the fields sent change."""

    time_zone: (
        Annotated[str, Meta(min_length=1, max_length=64, description="IANA name: `America/Chicago`.")] | None
    ) = None
    signer_name: Annotated[str, Meta(max_length=200)] | None = None
    signer_title: Annotated[str, Meta(max_length=200)] | None = None
    logo: (
        Annotated[
            bytes,
            Meta(
                max_length=LOGO_MAX_BYTES,
                description="The logo certificates print, a PNG or JPEG image as base64, at most "
                f"{LOGO_MAX_BYTES // 1024} KiB; an empty string removes it.",
            ),
        ]
        | None
    ) = None


class ApiKeyCreate(Wire, kw_only=True):
    """A request for a new API key."""

    name: Annotated[str, Meta(min_length=1, max_length=200, description="What the key is for.")]
    scopes: Annotated[
        list[ScopeName], Meta(min_length=1, description="What the key may do; grant the fewest that work.")
    ]


class ApiKeyView(Wire, kw_only=True):
    """An API key as listed: never its secret."""

    id: uuid.UUID
    name: str
    prefix: Annotated[str, Meta(description="The key's visible prefix: `fo_<prefix>_...`.")]
    scopes: list[str]
    created_at: datetime
    last_used_at: Annotated[datetime | None, Meta(description="Last use, to the minute.")] = None
    revoked_at: datetime | None = None


class ApiKeyCreated(Wire, kw_only=True):
    """A new API key. `key` is shown this once and cannot be recovered: store it now."""

    key: Annotated[str, Meta(description="The secret key; send it as `Authorization: Bearer <key>`.")]
    api_key: ApiKeyView

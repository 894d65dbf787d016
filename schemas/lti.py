"""Wire types of the LTI 1.3 plugin: platform registrations, the import file, deep linking."""

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import Meta

from schemas.base import Wire

Url = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        description="An https URL with a host (http only for 127.0.0.1 or localhost), no user name "
        "or password, no spaces or control characters.",
    ),
]


class RegistrationWrite(Wire, kw_only=True):
    """A platform as its LMS describes it (the fields of one entry of the import file)."""

    issuer: Annotated[str, Meta(min_length=1, max_length=500, description="The platform's `iss`.")]
    client_id: Annotated[
        str, Meta(min_length=1, max_length=255, description="The client id the platform gave this tool.")
    ]
    deployment_ids: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=255)]],
        Meta(description="Deployments allowed to launch; a launch from any other is refused."),
    ] = []
    auth_login_url: Annotated[Url, Meta(description="The platform's OIDC authorization endpoint.")]
    auth_token_url: Annotated[Url, Meta(description="The platform's OAuth 2 token endpoint (for AGS).")]
    key_set_url: Annotated[Url, Meta(description="The platform's JWKS URL.")]
    auth_audience: Annotated[
        Annotated[str, Meta(max_length=2000)] | None,
        Meta(description="`aud` of token requests; default the token URL."),
    ] = None


class RegistrationView(Wire, kw_only=True):
    """A registered platform."""

    id: uuid.UUID
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    created_at: datetime
    updated_at: datetime


class ImportFile(Wire, kw_only=True):
    """The file `frontoffice lti import` reads (JSON or TOML)."""

    registrations: list[RegistrationWrite]


class DeepLinkChoice(Wire, kw_only=True):
    """The modules an instructor picked for a deep-linking request."""

    modules: Annotated[list[Annotated[str, Meta(min_length=1, max_length=64)]], Meta(min_length=1)]


class DeepLinkResponse(Wire, kw_only=True):
    """A signed LtiDeepLinkingResponse: form-POST `JWT=<jwt>` to `return_url`."""

    return_url: str
    jwt: str


class RegistrationUrl(Wire, kw_only=True):
    """The URL an administrator pastes into the LMS's dynamic registration: good for one
    registration within an hour; shown only here."""

    url: str
    expires_at: datetime
    id: Annotated[uuid.UUID, Meta(description="Names the URL in the list of open ones, to revoke it.")]


class RegistrationUrlView(Wire, kw_only=True):
    """A registration URL not yet used nor expired (the URL itself is shown once, when made)."""

    id: uuid.UUID
    created_at: datetime
    expires_at: datetime


class ToolUrls(Wire, kw_only=True):
    """This tool's side of an LTI 1.3 registration: what an LMS administrator pastes into the
    LMS (Canvas, Moodle, Schoology, Brightspace) when registering the tool by hand."""

    login_url: Annotated[str, Meta(description="OpenID Connect login initiation URL.")]
    launch_url: Annotated[str, Meta(description="Target link URI and redirect URI (launches, deep linking).")]
    jwks_url: Annotated[str, Meta(description="The tool's public key set (JWKS) URL.")]
    domain: Annotated[str, Meta(description="The tool's host (and port), for LMSs that ask for a domain.")]

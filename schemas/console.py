"""Payloads of the district console: its OpenID Connect provider and a console session."""

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.admin import ScopeName
from schemas.base import Wire

RoleName = Literal["district_admin", "hr", "principal", "facilitator"]

Domain = Annotated[str, Meta(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")]


class RoleRule(Wire):
    """Who gets a role: a person whose email is `email`, or who is in the group `group` (the
    provider's groups claim). Exactly one of the two. A principal's rule names their school."""

    role: RoleName
    email: Annotated[str, Meta(max_length=320)] = ""
    group: Annotated[str, Meta(max_length=200)] = ""
    school: Annotated[str, Meta(max_length=200)] = ""


class ConsoleProviderSettings(Wire):
    """The district's OpenID Connect provider (Google Workspace, Entra ID, Clever, ClassLink...)."""

    issuer: Annotated[str, Meta(min_length=1, max_length=500)]
    """The provider's issuer URL; its `/.well-known/openid-configuration` is read at sign-in."""
    client_id: Annotated[str, Meta(min_length=1, max_length=500)]
    client_secret: Annotated[str, Meta(min_length=1, max_length=1000)]
    """Stored encrypted; never shown again."""
    allowed_domains: Annotated[list[Domain], Meta(min_length=1, max_length=50)]
    """Only people whose verified email is at one of these domains may sign in."""
    roles: Annotated[list[RoleRule], Meta(min_length=1, max_length=500)]
    """The first rule that matches a person gives their role; nobody else may sign in."""
    groups_claim: Annotated[str, Meta(min_length=1, max_length=100)] = "groups"


class ConsoleProviderView(Wire):
    """The district's provider as stored (without its secret)."""

    issuer: str
    client_id: str
    allowed_domains: list[str]
    roles: list[RoleRule]
    groups_claim: str
    redirect_uri: str
    """The URL to register with the provider as the console's redirect (callback) URL."""
    login_url: str
    """Where the district's people start signing in."""
    updated_at: datetime


class ConsoleSessionView(Wire):
    """The person signed in, and the CSRF token every state-changing call must send."""

    district: str
    name: str
    email: str
    role: RoleName
    school: str
    """The school a principal sees; empty for every other role."""
    scopes: list[ScopeName]
    csrf_token: str
    """Send it as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE made with the session."""
    idle_expires_at: datetime
    expires_at: datetime

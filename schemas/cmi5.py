"""cmi5: package keys (the district's name on the packages an LMS imports) and the player's
exchange of an LMS's actor for a learner token."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, field

from schemas.base import Wire


class PackageKeyCreate(Wire, kw_only=True):
    """A new package key: one per LMS (or per course copy), so each can be revoked alone."""

    name: Annotated[str, Meta(min_length=1, max_length=200, description="Which LMS or course it is for.")]


class PackageKeyView(Wire, kw_only=True):
    """A package key. Its packages launch the player until it is revoked."""

    id: uuid.UUID
    name: str
    created_at: datetime
    revoked_at: datetime | None = None


class Account(Wire, kw_only=True):
    """An xAPI account: the learner's name in the LMS (`name`) under the LMS's `homePage`."""

    home_page: Annotated[str, Meta(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")] = field(
        name="homePage"
    )
    name: Annotated[str, Meta(min_length=1, max_length=255)]


class Actor(Wire, kw_only=True):
    """The cmi5 launch's `actor`: an Agent identified by an account (cmi5 requires one)."""

    account: Account
    object_type: Literal["Agent"] = field(default="Agent", name="objectType")
    name: Annotated[str, Meta(max_length=200)] = ""


class Cmi5TokenRequest(Wire, kw_only=True):
    """A cmi5 launch's actor and the package key from the AU's URL."""

    package_key: Annotated[str, Meta(min_length=1, max_length=2000)]
    actor: Actor

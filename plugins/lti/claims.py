"""The claims of a signed launch that this tool uses, decoded into Structs.

A correctly signed id_token can still carry claims of the wrong type or size (a platform's
bug, or a misconfigured custom claim). They are decoded once, after the signature holds and
before pylti1p3's message validators (which assume dicts and would raise AttributeError), and
any mismatch is a 422 naming the claim. Unknown claims and unknown members of known claims
are ignored: platforms add their own. Sizes are those the LTI 1.3 specification allows and
the tables hold (an id or `sub` of at most 255 characters, URLs of at most 2,000, deep-linking
`data` of at most 4,000), so nothing is cut short and nothing is too long for PostgreSQL.
"""

from typing import Annotated, Any

import msgspec
from msgspec import Meta, field

from plugins.contract import InvalidInput
from schemas.problem import FieldError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING = "LtiDeepLinkingRequest"
RESOURCE_LINK = "ltiResourceLink"

Id = Annotated[str, Meta(min_length=1, max_length=255)]
"""An LTI identifier: `sub`, a deployment, a resource link (at most 255 characters)."""
Url = Annotated[str, Meta(min_length=1, max_length=2000)]
Text = Annotated[str, Meta(max_length=10_000)]
DATA_MAX = 4000
"""Characters of the JSON text of a deep-linking request's `data` this tool keeps."""
Scalar = str | int | float | bool | None
"""A custom parameter's value: strings by the specification; numbers and booleans are taken too."""


class ResourceLink(msgspec.Struct, kw_only=True):
    id: Id


class LaunchContext(msgspec.Struct, kw_only=True):
    id: Text | None = None
    label: Text | None = None
    title: Text | None = None

    @property
    def cohort(self) -> str:
        """The cohort label learners of this context get."""
        return (self.title or self.label or self.id or "")[:100]


class LaunchPresentation(msgspec.Struct, kw_only=True):
    locale: Annotated[str, Meta(max_length=100)] | None = None

    @property
    def lang(self) -> str:
        return (self.locale or "").replace("_", "-").split("-")[0].lower()


class Custom(msgspec.Struct, kw_only=True):
    """The custom parameters this tool reads (others are ignored)."""

    module: Scalar = None
    employee_id: Scalar = None
    school: Scalar = None
    job_role: Scalar = None
    role: Scalar = None
    view: Scalar = None
    """`console`: the link opens the district console (instructors and LMS administrators)."""
    workshop: Scalar = None
    """A live workshop's join code: a learner's launch joins that room."""

    def get(self, name: str) -> str:
        value = getattr(self, name)
        return "" if value is None else str(value)


class AgsEndpoint(msgspec.Struct, kw_only=True):
    scope: list[str] = []
    lineitems: Url | None = None
    lineitem: Url | None = None


class DeepLinkingSettings(msgspec.Struct, kw_only=True):
    deep_link_return_url: Url
    accept_types: list[str]
    accept_presentation_document_targets: list[str] = []
    accept_multiple: bool | None = None
    data: Any = None
    """Opaque, returned as it came: a string by the specification's examples, an object from
    some platforms (lti1p3platform). Kept as its JSON text, at most DATA_MAX characters."""

    @property
    def data_json(self) -> str | None:
        """`data` as kept (its JSON text), or None without it."""
        return None if self.data is None else msgspec.json.encode(self.data).decode()


class LaunchClaims(msgspec.Struct, kw_only=True):
    """A launch's claims as this tool reads them."""

    sub: Id
    name: Text | None = None
    email: Text | None = None
    message_type: str = field(name=LTI + "message_type")
    deployment_id: Id = field(name=LTI + "deployment_id")
    roles: list[str] = field(name=LTI + "roles")
    custom: Custom | None = field(default=None, name=LTI + "custom")
    resource_link: ResourceLink | None = field(default=None, name=LTI + "resource_link")
    context: LaunchContext | None = field(default=None, name=LTI + "context")
    presentation: LaunchPresentation | None = field(default=None, name=LTI + "launch_presentation")
    ags: AgsEndpoint | None = field(default=None, name=AGS_ENDPOINT)
    deep_linking: DeepLinkingSettings | None = field(default=None, name=DL + "deep_linking_settings")

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING


def _refuse(field_path: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"The LMS sent a launch this tool cannot use, at {field_path}: {message}. The LMS or its "
        "configuration of this tool must be corrected; show this message to its administrator.",
        errors=[FieldError(field=field_path, message=message)],
    )


_UNSTORABLE = "a NUL character or an unpaired surrogate, which no stored text can hold"


def _unstorable(value: object, path: str) -> str | None:
    """The path of the first string a database can't store (a NUL, a lone surrogate), or None."""
    if isinstance(value, str):
        if "\x00" in value or (not value.isascii() and not _encodes(value)):
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(key, path) or _unstorable(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _unstorable(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _encodes(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def decode(body: object) -> LaunchClaims:
    """The claims of a verified id_token; InvalidInput (422) naming the claim if one does not fit."""
    try:
        claims = msgspec.convert(body, LaunchClaims)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).rpartition(" - at ")
        if not message:
            message, path = str(exc), "$"
        raise _refuse(path.strip("`"), message) from None
    except UnicodeEncodeError:  # msgspec keeps no unpaired surrogate in a str
        raise _refuse(_unstorable(body, "$") or "$", _UNSTORABLE) from None
    unstorable = _unstorable(msgspec.to_builtins(claims), "$")
    if unstorable:
        raise _refuse(unstorable, _UNSTORABLE)
    if claims.is_deep_linking:
        settings = claims.deep_linking
        where = f"$.{DL}deep_linking_settings"
        if settings is None:
            raise _refuse(where, "a deep-linking request needs its deep_linking_settings")
        if len(settings.data_json or "") > DATA_MAX:
            raise _refuse(where + ".data", f"its JSON text is longer than {DATA_MAX:,} characters")
        if RESOURCE_LINK not in settings.accept_types:
            raise _refuse(
                where + ".accept_types",
                f"the LMS accepts only {', '.join(map(repr, settings.accept_types)) or 'nothing'} here; "
                f"this tool offers LTI resource links ({RESOURCE_LINK!r}): use its deep linking from "
                "a place that takes them (an assignment or a module item)",
            )
        if not settings.accept_presentation_document_targets:
            raise _refuse(
                where + ".accept_presentation_document_targets",
                "the deep-linking request names no presentation target",
            )
    elif claims.resource_link is None:
        raise _refuse(f"$.{LTI}resource_link", "a resource link launch needs its resource_link claim")
    return claims

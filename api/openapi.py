"""OpenAPI generation: strict Structs documented as strict, and `finish_document`, the passes
over Litestar's document that add what it cannot tell from the handlers' signatures (webhooks,
security, download bodies, problem 400s) and clean every description once, so the checked-in
document does not depend on how a library renders docstrings."""

__all__ = [
    "DownloadSpec",
    "StrictStructSchemaPlugin",
    "StructSchemaPlugin",
    "finish_document",
    "install_document",
]

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields, is_dataclass
from inspect import cleandoc
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    PathItem,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from api.errors import PROBLEM_JSON
from api.http.problems import REALM
from api.http.rate_limit import is_limited
from api.identity.auth import CONSOLE_COOKIE, CONSOLE_SESSION, Credential, accepted_credentials
from schemas.events import EVENT_TYPES

REF = "#/components/schemas/"


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Documents what Litestar leaves out of a Struct's schema: `additionalProperties: false`
    when it forbids unknown fields (so clients and fuzzers know an extra field is rejected), and
    its docstring as the description."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        doc = vars(struct).get("__doc__")  # its own: a base's docstring says nothing about it
        if doc and schema.description is None:
            schema.description = doc
        return schema


class DownloadSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A body other than JSON that a route answers with. A route lists these in
    `opt["downloads"]`; the document shows each as a media type of the success response."""

    media_type: str
    label: str
    """What the response is, in a word or two: "CSV", "PDF certificate"."""
    description: str
    """What the body holds: columns, fields, pages."""
    lines: type[msgspec.Struct] | None = None
    """For a body of JSON lines: the Struct each line is (documented as a component)."""


SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    Credential.API_KEY.value: SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="fo_<prefix>_<secret>",
        description=(
            "A district's API key, `fo_<prefix>_<secret>`, sent as `Authorization: Bearer fo_…`. "
            "An administrator creates it (`POST /api/v1/keys`, or `frontoffice keys create`) with "
            "scopes: `admin` (keys, settings, plugins, roster, audit, voiding), `content:read` (the "
            "course), `content:facilitate` (facilitator views), `progress:write` (learner tokens), "
            "`reports:read` (group reports), `hr:read` (completion records and exports), "
            "`workshops:run` (live workshops: the room, its stream, attendance). An "
            "operation's requirement lists the scopes it needs."
        ),
    ),
    Credential.LEARNER_TOKEN.value: SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description=(
            "A learner token: a short-lived signed JWT for one learner, issued by "
            "`POST /api/v1/learner-tokens` (to an API key with `progress:write`) or by an LTI "
            "launch, sent as `Authorization: Bearer <token>`. Every learner token holds `learner` "
            "and `content:read`; a facilitator token also holds `content:facilitate`, "
            "`reports:read` and `workshops:run`. An operation's requirement lists the scopes it "
            "needs beyond the first two: an empty list means any learner token."
        ),
    ),
    CONSOLE_SESSION: SecurityScheme(
        type="apiKey",
        name=CONSOLE_COOKIE,
        security_scheme_in="cookie",
        description=(
            "A person's console session: the cookie `GET /console/{district}/login` sets once they "
            "sign in with the district's identity provider. Besides the console's own routes it "
            "authenticates every `/api/` route, with the scopes of the person's role (see the README); "
            "a POST, PUT, PATCH or DELETE must also send the session's `csrf_token` as `X-CSRF-Token`."
        ),
    ),
}

CHALLENGE = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING),
    description=f'The Bearer challenge (RFC 6750): `Bearer realm="{REALM}"`, with '
    '`error="invalid_token"` when the credential sent did not pass.',
)


# Finished documents by the routes they describe. The key holds the handlers' functions (each
# controller's, unbound: controllers are made anew for each app), so it can't be mistaken for
# another app's routes; the tests build hundreds of apps with the same ones.
_DOCUMENTS: dict[tuple[object, ...], OpenAPI] = {}


def install_document(app: Litestar) -> None:
    """Give `app` its finished document: built by Litestar and finished once per process for each
    set of documented routes (building it is most of the cost of making an app)."""
    documented = sorted(
        (route.path, tuple(sorted(handler.http_methods)), getattr(handler.fn, "__func__", handler.fn))
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.resolve_include_in_schema()
    )
    key = tuple(documented)
    plugin = app.plugins.get(OpenAPIPlugin)
    document = _DOCUMENTS.get(key)
    if document is None:
        document = plugin.provide_openapi()
        finish_document(document, app.routes)
        _DOCUMENTS[key] = document
    plugin._openapi = document  # what provide_openapi() builds when unset; no public setter


def finish_document(document: OpenAPI, routes: Iterable[BaseRoute]) -> None:
    """Complete Litestar's document for `routes`, in place."""
    _document_routes(document, routes)
    _add_webhooks(document)
    _problem_bad_requests(document)
    _rate_limited(document, routes)
    _clean_descriptions(document)


def _operations(
    document: OpenAPI, routes: Iterable[BaseRoute]
) -> Iterator[tuple[HTTPRouteHandler, Operation]]:
    """Each documented operation with the route handler it documents."""
    paths = document.paths or {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        item = paths.get(route.path_format or "/")
        if not isinstance(item, PathItem):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation):
                    yield handler, operation


def _document_routes(document: OpenAPI, routes: Iterable[BaseRoute]) -> None:
    """What each route's `opt` says: the credentials it accepts (from the scopes BearerAuth
    checks; none on a public route), and the bodies of its downloads."""
    document.components.security_schemes = dict(SECURITY_SCHEMES)
    lines: dict[str, type[msgspec.Struct]] = {}
    for handler, operation in _operations(document, routes):
        if handler.opt.get(CONSOLE_SESSION):
            operation.security = [{CONSOLE_SESSION: []}]
        elif not handler.opt.get("exclude_from_auth"):
            operation.security = [
                {kind.value: sorted(scopes)} for kind, scopes in accepted_credentials(handler.opt)
            ]
        downloads: Sequence[DownloadSpec] = handler.opt.get("downloads", ())
        if downloads and operation.responses:
            operation.responses[str(handler.status_code)] = _download_response(downloads)
            lines.update((d.lines.__name__, d.lines) for d in downloads if d.lines)
        unauthorized = (operation.responses or {}).get("401")
        if isinstance(unauthorized, OpenAPIResponse):
            unauthorized.headers = {"WWW-Authenticate": CHALLENGE}
    _add_components(document, [lines[name] for name in sorted(lines)])


def _download_response(downloads: Sequence[DownloadSpec]) -> OpenAPIResponse:
    content: dict[str, OpenAPIMediaType] = {}
    for download in downloads:
        schema: Schema | Reference
        if download.lines is None:
            schema = Schema(
                type=OpenAPIType.STRING,
                content_media_type=download.media_type.split(";")[0],
                description=download.description,
            )
        else:
            schema = Reference(ref=REF + download.lines.__name__, description=download.description)
        content[download.media_type] = OpenAPIMediaType(schema=schema)
    labels = [d.label for d in downloads]
    said = " or ".join(labels) if len(labels) < 3 else f"{', '.join(labels[:-1])} or {labels[-1]}"
    return OpenAPIResponse(description=said, content=content)


def _schema(node: dict[str, Any], names: dict[str, str]) -> Schema | Reference:
    """A JSON Schema node (as msgspec writes it) as Litestar's OpenAPI Schema, its references
    to components renamed per `names`."""
    if "$ref" in node:
        name = node["$ref"].removeprefix(REF)
        return Reference(ref=REF + names.get(name, name))
    kwargs: dict[str, Any] = {}
    if "type" in node:
        kwargs["type"] = OpenAPIType(node["type"])
    if "format" in node:
        kwargs["format"] = OpenAPIFormat(node["format"])
    for key, name in (
        ("title", "title"),
        ("description", "description"),
        ("enum", "enum"),
        ("required", "required"),
        ("const", "const"),
        ("minimum", "minimum"),
        ("maximum", "maximum"),
        ("pattern", "pattern"),
    ):
        if key in node:
            kwargs[name] = node[key]
    if "properties" in node:
        kwargs["properties"] = {k: _schema(v, names) for k, v in node["properties"].items()}
    if "items" in node:
        kwargs["items"] = _schema(node["items"], names)
    if "anyOf" in node:
        kwargs["any_of"] = [_schema(n, names) for n in node["anyOf"]]
    if isinstance(node.get("additionalProperties"), bool):
        kwargs["additional_properties"] = node["additionalProperties"]
    elif isinstance(node.get("additionalProperties"), dict):
        kwargs["additional_properties"] = _schema(node["additionalProperties"], names)
    return Schema(**kwargs)


def _add_components(document: OpenAPI, types: Sequence[type], names: dict[str, str] | None = None) -> None:
    """msgspec's schemas of `types` and of the Structs they hold, as components named per
    `names` (default: the class name). A name the document already has is an error: two types
    would share one component, and one of them would be documented wrongly."""
    if not types:
        return
    names = names or {}
    _, nodes = msgspec.json.schema_components(types, ref_template=REF + "{name}")
    schemas = document.components.schemas = dict(document.components.schemas or {})
    for name, node in nodes.items():
        key = names.get(name, name)
        if key in schemas:
            raise ValueError(f"Two schemas would be the component {key!r}; rename one of the types.")
        schema = _schema(node, names)
        assert isinstance(schema, Schema)  # a component is a whole schema, never a reference
        schema.title = key
        schemas[key] = schema


def _event_component(cls: type) -> str:
    """The component of an event's payload: the event type's class name and `Event`, so that it
    never takes the name of one of the API's own schemas (`FormSubmitted` is a completion rule)."""
    return f"{cls.__name__}Event"


def _add_webhooks(document: OpenAPI) -> None:
    """Document every event type Front Office sends in the `webhooks` section (OpenAPI 3.1), as
    the envelope `{type, id, timestamp, data}` with `data` typed per event."""
    events = list(EVENT_TYPES.items())
    _add_components(
        document, [cls for _, cls in events], {cls.__name__: _event_component(cls) for _, cls in events}
    )
    webhooks: dict[str, PathItem | Reference] = {}
    for type_name, cls in events:
        envelope = Schema(
            type=OpenAPIType.OBJECT,
            title=f"{cls.__name__}Webhook",
            required=["type", "id", "timestamp", "data"],
            properties={
                "type": Schema(type=OpenAPIType.STRING, const=type_name),
                "id": Schema(
                    type=OpenAPIType.STRING,
                    format=OpenAPIFormat.UUID,
                    description="Event id: deduplicate on it (also the `webhook-id` header).",
                ),
                "timestamp": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                "data": Reference(ref=REF + _event_component(cls)),
            },
        )
        webhooks[type_name] = PathItem(
            post=Operation(
                operation_id=f"webhook_{type_name.replace('.', '_')}",
                summary=cleandoc(cls.__doc__ or type_name).split("\n")[0],
                description="Signed per Standard Webhooks: verify `webhook-signature` over "
                "`{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's secret.",
                request_body=RequestBody(
                    required=True, content={"application/json": OpenAPIMediaType(schema=envelope)}
                ),
                responses={
                    "2XX": OpenAPIResponse(description="Received. Anything else is retried (410 disables).")
                },
            )
        )
    document.webhooks = webhooks


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _problem_bad_requests(document: OpenAPI) -> None:
    """Litestar documents a 400 body of its own shape on every route with parameters; here every
    400 is a problem, so those entries get the problem response the other routes document. And
    any value a request carries (path, query, body) may hold a NUL, a 422 (api/http/storable.py),
    so every operation taking values documents one."""
    operations = [
        op
        for item in (document.paths or {}).values()
        for op in (getattr(item, method) for method in _METHODS)
        if op is not None and op.responses
    ]

    def is_problem(response: OpenAPIResponse | Reference | None) -> bool:
        return isinstance(response, OpenAPIResponse) and PROBLEM_JSON in (response.content or {})

    bad, invalid = (
        next((op.responses[status] for op in operations if is_problem(op.responses.get(status))), None)
        for status in ("400", "422")
    )
    for op in operations:
        if bad is not None and "400" in op.responses and not is_problem(op.responses["400"]):
            op.responses["400"] = bad
        if invalid is not None and "422" not in op.responses and (op.parameters or op.request_body):
            op.responses["422"] = invalid


def _header(description: str) -> OpenAPIHeader:
    return OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER), description=description)


RATE_LIMIT_HEADERS = {
    "Retry-After": _header("Seconds until the client's window ends and it may call again."),
    "RateLimit-Limit": _header("Requests an address may make in a window (`FRONTOFFICE_RATE_LIMIT_PUBLIC`)."),
    "RateLimit-Remaining": _header("Requests left in the window: 0."),
    "RateLimit-Reset": _header("Seconds until the window ends."),
    "RateLimit-Policy": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING), description="The limit and window: `300;w=60`."
    ),
}


def _rate_limited(document: OpenAPI, routes: Iterable[BaseRoute]) -> None:
    """The public routes' 429 (api/http/rate_limit.py): a problem with `Retry-After` and the
    RateLimit headers, which their other answers carry too."""
    problem = next(
        (
            response.content
            for _, operation in _operations(document, routes)
            for response in (operation.responses or {}).values()
            if isinstance(response, OpenAPIResponse) and PROBLEM_JSON in (response.content or {})
        ),
        None,
    )
    for handler, operation in _operations(document, routes):
        if problem is not None and operation.responses is not None and is_limited(handler.opt):
            operation.responses["429"] = OpenAPIResponse(
                description="Too many requests from this address without a credential; wait as "
                "`Retry-After` says.",
                content=problem,
                headers=dict(RATE_LIMIT_HEADERS),
            )


def _clean_descriptions(document: OpenAPI) -> None:
    """Every `description` in the document as `inspect.cleandoc` leaves it, whichever library
    took it from which docstring (they differ, and differ between versions, in the indentation
    they keep)."""
    seen: set[int] = set()
    stack: list[object] = [document]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif is_dataclass(node) and not isinstance(node, type):
            for field in fields(node):
                value = getattr(node, field.name)
                if field.name == "description" and isinstance(value, str):
                    setattr(node, field.name, cleandoc(value))
                else:
                    stack.append(value)

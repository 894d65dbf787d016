"""OpenAPI generation: strict Structs documented as strict, and the `webhooks` section."""

__all__ = ["StrictStructSchemaPlugin", "StructSchemaPlugin", "add_webhooks", "problem_bad_requests"]

from typing import Any

import msgspec
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    PathItem,
    Reference,
    RequestBody,
    Schema,
)
from litestar.typing import FieldDefinition

from api.errors import PROBLEM_JSON
from schemas.events import EVENT_TYPES


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Adds `additionalProperties: false` for Structs that forbid unknown fields, so clients
    and fuzzers know an extra field is rejected (Litestar leaves it out)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if field_definition.type_.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def _schema(node: dict[str, Any]) -> Schema | Reference:
    """A JSON Schema node (as msgspec writes it) as Litestar's OpenAPI Schema."""
    if "$ref" in node:
        return Reference(ref=node["$ref"])
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
        kwargs["properties"] = {k: _schema(v) for k, v in node["properties"].items()}
    if "items" in node:
        kwargs["items"] = _schema(node["items"])
    if "anyOf" in node:
        kwargs["any_of"] = [_schema(n) for n in node["anyOf"]]
    if isinstance(node.get("additionalProperties"), bool):
        kwargs["additional_properties"] = node["additionalProperties"]
    elif isinstance(node.get("additionalProperties"), dict):
        kwargs["additional_properties"] = _schema(node["additionalProperties"])
    return Schema(**kwargs)


def add_webhooks(document: OpenAPI) -> None:
    """Document every event type Front Office sends in the `webhooks` section (OpenAPI 3.1), as
    the envelope `{type, id, timestamp, data}` with `data` typed per event."""
    events = list(EVENT_TYPES.items())
    _, components = msgspec.json.schema_components(
        [cls for _, cls in events], ref_template="#/components/schemas/{name}"
    )
    document.components.schemas = dict(document.components.schemas or {})
    for name, node in components.items():
        document.components.schemas[name] = _schema(node)  # type: ignore[assignment]
    webhooks: dict[str, PathItem | Reference] = {}
    for type_name, cls in events:
        envelope = Schema(
            type=OpenAPIType.OBJECT,
            title=f"{cls.__name__}Event",
            required=["type", "id", "timestamp", "data"],
            properties={
                "type": Schema(type=OpenAPIType.STRING, const=type_name),
                "id": Schema(
                    type=OpenAPIType.STRING,
                    format=OpenAPIFormat.UUID,
                    description="Event id: deduplicate on it (also the `webhook-id` header).",
                ),
                "timestamp": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                "data": Reference(ref=f"#/components/schemas/{cls.__name__}"),
            },
        )
        webhooks[type_name] = PathItem(
            post=Operation(
                operation_id=f"webhook_{type_name.replace('.', '_')}",
                summary=(cls.__doc__ or type_name).strip().split("\n")[0],
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


def problem_bad_requests(document: OpenAPI) -> None:
    """Litestar documents a 400 body of its own shape on every route with parameters; here every
    400 is a problem, so those entries get the problem response the other routes document."""
    operations = [
        op
        for item in (document.paths or {}).values()
        for op in (getattr(item, method) for method in _METHODS)
        if op is not None and op.responses
    ]

    def is_problem(response: OpenAPIResponse | Reference) -> bool:
        return isinstance(response, OpenAPIResponse) and PROBLEM_JSON in (response.content or {})

    template = next(
        (
            op.responses["400"]
            for op in operations
            if "400" in op.responses and is_problem(op.responses["400"])
        ),
        None,
    )
    if template is None:
        return
    for op in operations:
        if "400" in op.responses and not is_problem(op.responses["400"]):
            op.responses["400"] = template

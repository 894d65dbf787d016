"""OpenAPI generation tweaks: strict Structs are documented as strict."""

__all__ = ["StrictStructSchemaPlugin", "StructSchemaPlugin"]

from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import Schema
from litestar.typing import FieldDefinition


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Adds `additionalProperties: false` for Structs that forbid unknown fields, so clients
    and fuzzers know an extra field is rejected (Litestar leaves it out)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if field_definition.type_.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        return schema

"""msgspec Structs shared by the API, the plugins and the content files: the content model,
API payloads and event payloads."""

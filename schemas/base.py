"""The one base every wire and content Struct derives from: strict decoding, snake_case names.

msgspec applies `kw_only` only to the fields a class itself declares, so each subclass that
mixes required and defaulted fields says `kw_only=True` too."""

import msgspec


class Wire(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=False):
    """Base for every payload: unknown fields are an error, so a typo never passes silently."""

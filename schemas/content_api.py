"""Payloads of the content API that are not content views themselves."""

from datetime import datetime

from schemas.base import Wire


class ModuleVersionInfo(Wire, kw_only=True):
    """One published version of a module."""

    version: str
    published_at: datetime
    current: bool

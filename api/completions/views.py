"""A completion as the API shows it."""

from api.models import Completion
from schemas.progress import (
    CompletionView,
)


def completion_view(row: Completion) -> CompletionView:
    """The stored completion as the API shows it: the view's fields are columns of the row."""
    return CompletionView(**{field: getattr(row, field) for field in CompletionView.__struct_fields__})

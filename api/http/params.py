"""Query parameters shared by the routes that page through a district's rows."""

from typing import Annotated

from litestar.params import QueryParameter

MAX_PAGE = 1000

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]

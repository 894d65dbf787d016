"""The database's figures a `/metrics` scrape reports: the outbox backlog and each plugin's
gauges, read in one session at scrape time."""

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy.exc import SQLAlchemyError

from api.db import Sessions
from api.models import utcnow
from api.outbox.backlog import backlog
from api.plugin import Plugin

log = logging.getLogger("frontoffice.metrics")


async def database_figures(sessions: Sessions, plugins: Iterable[Plugin]) -> list[Metric]:
    """The figures, and `frontoffice_database_figures_up`: 0 when the database could not be read
    (the process's own counters are still worth a scrape then)."""
    up = GaugeMetricFamily(
        "frontoffice_database_figures_up",
        "Whether this scrape read the database's figures (outbox backlog, plugins' gauges)",
    )
    try:
        async with sessions() as session:
            figures = list(await backlog(session, utcnow()))
            for plugin in plugins:
                figures += await plugin.gauges(session)
    except (SQLAlchemyError, OSError) as exc:
        log.warning(f"metrics: the database's figures could not be read: {type(exc).__name__}: {exc}")
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [*figures, up]

"""What the dispatcher sweeps for every minute besides deliveries: each area's check for what
came due. Each sweep emits its event once however many dispatchers run it at once."""

from api.assignments.services import sweep_overdue
from api.dialogues.services import sweep_past_due
from api.outbox.dispatcher import Sweep
from api.plans.services import sweep_plans_due
from api.roster.schedule import oneroster_sweep
from api.runtime import Runtime

SWEEPS: tuple[Sweep, ...] = (sweep_past_due, sweep_overdue, sweep_plans_due)
"""Dialogues past their due time (`dialogue.past_due`), assignments overdue (`assignment.overdue`),
plan items at their re-measure date (`plan.due`)."""


def runtime_sweeps(runtime: Runtime) -> tuple[Sweep, ...]:
    """SWEEPS, and those that call out: each district's OneRoster REST source when it comes due
    (through the runtime's one guarded client, its secret opened by the runtime's box)."""
    return (*SWEEPS, oneroster_sweep(runtime.http, runtime.box()))

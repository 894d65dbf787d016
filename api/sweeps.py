"""What the dispatcher sweeps for every minute besides deliveries: each area's check for what
came due. Each sweep emits its event once however many dispatchers run it at once."""

from api.assignments.services import sweep_overdue
from api.dialogues.services import sweep_past_due
from api.outbox.dispatcher import Sweep
from api.plans.services import sweep_plans_due

SWEEPS: tuple[Sweep, ...] = (sweep_past_due, sweep_overdue, sweep_plans_due)
"""Dialogues past their due time (`dialogue.past_due`), assignments overdue (`assignment.overdue`),
plan items at their re-measure date (`plan.due`)."""

"""What the dispatcher sweeps for every minute besides deliveries: each area's check for what
came due. Each sweep emits its event once however many dispatchers run it at once."""

from api.assignments.services import sweep_overdue
from api.dialogues.services import sweep_past_due
from api.outbox.dispatcher import Sweep

SWEEPS: tuple[Sweep, ...] = (sweep_past_due, sweep_overdue)
"""Dialogues past their due time (`dialogue.past_due`), assignments overdue (`assignment.overdue`)."""

"""Workshop agendas over modules' scripts (no I/O): which script steps an agenda's module block
keeps, and how long they take. The checker holds an agenda's blocks to these; the packets lay
them out. An agenda of one module is its whole script (`leave_out` empty), never written."""

from schemas.content import Module, ScriptStep


def kept_steps(module: Module, leave_out: list[str]) -> list[ScriptStep]:
    """The module's script steps a block runs: all but those of the activities it leaves out."""
    return [step for step in module.facilitator_script if step.activity not in leave_out]


def block_minutes(module: Module, leave_out: list[str]) -> float:
    """The minutes a module block takes: its kept steps'."""
    return sum(step.minutes for step in kept_steps(module, leave_out))

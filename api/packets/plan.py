"""A workshop's plan in one language (no I/O): its blocks on one clock, each module block with
the script steps it keeps and the activities it leaves out, built from an authored agenda or
derived from one module's script. The packets are laid out from it."""

from collections.abc import Mapping, Sequence

import msgspec

from api.content.agendas import kept_steps
from schemas.content import Activity, Agenda, Module, ScriptStep
from schemas.feedback import Language


class TimedStep(msgspec.Struct, frozen=True, kw_only=True):
    """A script step at its time on the workshop's clock (minutes from the start)."""

    start: float
    step: ScriptStep
    activity: Activity | None


class Block(msgspec.Struct, frozen=True, kw_only=True):
    """One block of the plan: a welcome, a break, a transition, a close, or a module."""

    kind: str
    start: float
    minutes: float
    title: str
    text: str
    """What the facilitator does (Markdown); empty for a module block without a note."""
    module: Module | None = None
    steps: list[TimedStep] = []
    kept: list[Activity] = []
    """The module's activities the room runs, in the module's order."""
    left_out: list[Activity] = []
    """The module's activities left to participants for afterwards."""


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """A workshop: its title, summary (Markdown), total minutes and blocks."""

    title: str
    summary: str
    minutes: float
    blocks: list[Block]

    @property
    def modules(self) -> list[Module]:
        """The modules the workshop runs, in its order."""
        return [block.module for block in self.blocks if block.module is not None]


def _module_block(module: Module, start: float, leave_out: list[str], note: str) -> Block:
    steps: list[TimedStep] = []
    activities = {activity.id: activity for activity in module.activities}
    clock = start
    for step in kept_steps(module, leave_out):
        activity = activities.get(step.activity or "")
        steps.append(TimedStep(start=clock, step=step, activity=activity))
        clock += step.minutes
    return Block(
        kind="module",
        start=start,
        minutes=clock - start,
        title=module.title,
        text=note,
        module=module,
        steps=steps,
        kept=[a for a in module.activities if a.id not in leave_out],
        left_out=[a for a in module.activities if a.id in leave_out],
    )


def module_plan(module: Module) -> Plan:
    """The workshop of one module: its whole script, as the module says it (a derived agenda)."""
    return modules_plan(module.title, module.summary, [module])


def modules_plan(title: str, summary: str, modules: Sequence[Module]) -> Plan:
    """A workshop of modules one after another, each with its whole script (a live workshop's,
    which names its modules, not an agenda)."""
    blocks: list[Block] = []
    clock = 0.0
    for module in modules:
        blocks.append(_module_block(module, clock, [], ""))
        clock += blocks[-1].minutes
    return Plan(title=title, summary=summary, minutes=clock, blocks=blocks)


def agenda_plan(agenda: Agenda, modules: Mapping[str, Module], language: Language) -> Plan:
    """An authored agenda in `language`, with `modules` (by id) already in that language. The
    checker has held every module block to its module, so each one named is there."""
    blocks: list[Block] = []
    clock = 0.0
    for block in agenda.blocks:
        note = block.text.in_(language) if block.text else ""
        if block.module is not None:
            timed = _module_block(modules[block.module], clock, block.leave_out, note)
            if block.title:
                timed = msgspec.structs.replace(timed, title=block.title.in_(language))
        else:
            title = block.title.in_(language) if block.title else block.kind
            timed = Block(kind=block.kind, start=clock, minutes=block.minutes, title=title, text=note)
        blocks.append(timed)
        clock += timed.minutes
    return Plan(
        title=agenda.title.in_(language),
        summary=agenda.summary.in_(language),
        minutes=clock,
        blocks=blocks,
    )


def clock(minutes: float) -> str:
    """A time on the workshop's clock: `0:05`, `1:02`, `0:08:30` for a half minute."""
    seconds = round(minutes * 60)
    hours, rest = divmod(seconds, 3600)
    whole, second = divmod(rest, 60)
    return f"{hours}:{whole:02d}" + (f":{second:02d}" if second else "")

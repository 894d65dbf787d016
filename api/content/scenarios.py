"""Branching scenarios as graphs: walking a learner's path, and the checks an author needs.

A scenario's nodes and endings share one id space; every choice leads to one of them. `walk`
follows a path (choice ids from the start node) and says where it arrives, or raises
`PathError` naming the first step that is not possible. `graph_problems` finds what makes a
scenario unplayable: a choice to nowhere, a node no path reaches, a node from which no ending
can be reached (a loop with no way out), no ending at all. Pure: no database, no I/O.
"""

from collections.abc import Iterator

import msgspec

from schemas.content import ScenarioChoice, ScenarioEnding, ScenarioItem, ScenarioNode

MAX_PATH = 100
"""The most choices one path may hold. A loop with an exit may be walked again and again; this
keeps a replayed answer (and the work of checking it) small."""


class PathError(ValueError):
    """Raised when a path cannot be walked: `index` is the path element at fault (the path's
    length when the path stops short of an ending), `message` says what to do."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


class Arrival(msgspec.Struct, frozen=True):
    """Where a path arrives: a node still to choose at, or an ending; and the last choice taken
    (None for the empty path, which is at the start node)."""

    node: ScenarioNode | None
    ending: ScenarioEnding | None
    last: ScenarioChoice | None
    taken: list[ScenarioChoice]


def _names(values: list[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def walk(item: ScenarioItem, path: list[str], *, complete: bool = False) -> Arrival:
    """Follow `path` from `item`'s start node. With `complete`, the path must end at an ending.

    Raises PathError for a choice not offered at the node reached, a path that goes on after an
    ending, one longer than MAX_PATH, or (with `complete`) one that stops before an ending.
    """
    nodes = {node.id: node for node in item.nodes}
    endings = {ending.id: ending for ending in item.endings}
    if len(path) > MAX_PATH:
        raise PathError(MAX_PATH, f"A path of scenario `{item.id}` holds at most {MAX_PATH} choices.")
    node: ScenarioNode | None = nodes[item.start]
    ending: ScenarioEnding | None = None
    taken: list[ScenarioChoice] = []
    for index, choice_id in enumerate(path):
        if node is None:
            raise PathError(
                index,
                f"Scenario `{item.id}` has ended (at `{ending.id if ending else ''}`) after "
                f"{index} choice(s): remove the choices after it.",
            )
        choice = next((c for c in node.choices if c.id == choice_id), None)
        if choice is None:
            offered = [c.id for c in node.choices]
            raise PathError(
                index,
                f"`{choice_id}` is not a choice at node `{node.id}` of scenario `{item.id}`: "
                f"choose one of {_names(offered)}.",
            )
        taken.append(choice)
        node, ending = nodes.get(choice.next), endings.get(choice.next)
    if complete and ending is None:
        where = node.id if node else item.start
        raise PathError(
            len(path),
            f"The path of scenario `{item.id}` stops at node `{where}` before any ending: go on "
            "choosing until the scenario ends.",
        )
    return Arrival(node=node, ending=ending, last=taken[-1] if taken else None, taken=taken)


# --- Checks for authors -------------------------------------------------------------------------


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for target in edges.get(stack.pop(), []):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def graph_problems(path: str, item: ScenarioItem) -> Iterator[tuple[str, str]]:
    """(path, message) for each thing that makes the scenario unplayable; `path` locates the item."""
    where: dict[str, str] = {}
    ids = [("nodes", [node.id for node in item.nodes]), ("endings", [ending.id for ending in item.endings])]
    for kind, element_ids in ids:
        for index, element_id in enumerate(element_ids):
            here = f"{path}.{kind}[{index}]"
            if element_id in where:
                yield (
                    f"{here}.id",
                    f"The id `{element_id}` is already used at {where[element_id]}: nodes and endings "
                    "of a scenario share one set of ids, since choices name them; give each its own.",
                )
            else:
                where[element_id] = here
    if not item.endings:
        yield (
            f"{path}.endings",
            f"Scenario `{item.id}` has no endings, so no path can finish: add at least one ending "
            "(with its `score`), and let choices lead to it.",
        )
    if not any(ending.safe for ending in item.endings) and item.endings:
        yield (
            f"{path}.endings",
            f"Every ending of scenario `{item.id}` is marked `safe: false`, so nobody can pass: "
            "add the ending a safe path leads to.",
        )
    node_ids = [node.id for node in item.nodes]
    if item.start not in node_ids:
        yield (
            f"{path}.start",
            f"Scenario `{item.id}` starts at `{item.start}`, which is not one of its nodes: use one "
            f"of {_names(node_ids)}.",
        )
        return
    edges: dict[str, list[str]] = {}
    for n, node in enumerate(item.nodes):
        seen: set[str] = set()
        for c, choice in enumerate(node.choices):
            if choice.id in seen:
                yield (
                    f"{path}.nodes[{n}].choices[{c}].id",
                    f"Choice id `{choice.id}` is used twice at node `{node.id}`: a path names "
                    "choices by id, so give each its own.",
                )
            seen.add(choice.id)
            if choice.next not in where:
                yield (
                    f"{path}.nodes[{n}].choices[{c}].next",
                    f"Choice `{choice.id}` leads to `{choice.next}`, which is neither a node nor "
                    f"an ending of scenario `{item.id}`: use one of {_names(list(where))}.",
                )
            elif choice.next == node.id:
                yield (
                    f"{path}.nodes[{n}].choices[{c}].next",
                    f"Choice `{choice.id}` leads back to its own node `{node.id}`, which the "
                    "learner would see again unchanged: lead it to a node that moves the story on.",
                )
            edges.setdefault(node.id, []).append(choice.next)
    reached = _reachable(item.start, edges)
    for kind, element_ids in ids:
        for index, element_id in enumerate(element_ids):
            if element_id not in reached:
                yield (
                    f"{path}.{kind}[{index}]",
                    f"No path from the start node `{item.start}` reaches `{element_id}`: lead a "
                    "choice to it, or remove it.",
                )
    # A node from which no ending can be reached traps the learner in a loop (or a dead end).
    ending_ids = {ending.id for ending in item.endings}
    for index, node in enumerate(item.nodes):
        if node.id in reached and not _reachable(node.id, edges) & ending_ids:
            yield (
                f"{path}.nodes[{index}]",
                f"From node `{node.id}` no ending can be reached: its choices only go round in a "
                "loop. Give one of them a way out to an ending.",
            )

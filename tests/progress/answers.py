"""Answers for tests: the right answer to any scorable item, a valid one to any other."""

from typing import Any


def right_answer(item: dict[str, Any]) -> Any:
    """From an item of the facilitator view (which holds the keys)."""
    kind = item["type"]
    if kind == "choice":
        return [o["id"] for o in item["options"] if o["correct"]]
    if kind == "classify":
        return {e["id"]: e["category"] for e in item["entries"]}
    if kind == "order":
        return [e["id"] for e in item["entries"]]
    if kind == "text_entry":
        return item["accepted"][0]
    if kind == "scenario":
        return scenario_path(item, lambda e: e.get("safe", True) and e["score"] == 1)
    return valid_answer(item)


def scenario_path(item: dict[str, Any], wanted: Any) -> list[str]:
    """The shortest path of choice ids through a scenario (facilitator view, which holds the
    graph) to an ending for which `wanted(ending)` holds."""
    endings = {e["id"]: e for e in item["endings"]}
    nodes = {n["id"]: n for n in item["nodes"]}
    queue: list[tuple[str, list[str]]] = [(item["start"], [])]
    seen = {item["start"]}
    while queue:
        here, path = queue.pop(0)
        for choice in nodes[here]["choices"]:
            target = choice["next"]
            if target in endings and wanted(endings[target]):
                return [*path, choice["id"]]
            if target in nodes and target not in seen:
                seen.add(target)
                queue.append((target, [*path, choice["id"]]))
    raise AssertionError(f"no such ending in scenario {item['id']}")


def wrong_answer(item: dict[str, Any]) -> Any:
    kind = item["type"]
    if kind == "choice":
        wrong = [o["id"] for o in item["options"] if not o["correct"]]
        return wrong[:1]
    if kind == "classify":
        other = {c["id"] for c in item["categories"]}
        return {e["id"]: next(iter(other - {e["category"]})) for e in item["entries"]}
    if kind == "order":
        return [e["id"] for e in reversed(item["entries"])]
    if kind == "text_entry":
        return "zzzz qqqq"
    if kind == "scenario":
        return scenario_path(item, lambda e: not e.get("safe", True))
    return valid_answer(item)


def valid_answer(item: dict[str, Any]) -> Any:
    """A complete, valid answer to an item of any type (learner or facilitator view)."""
    kind = item["type"]
    if kind in ("choice", "order"):
        ids = [o["id"] for o in item.get("options", item.get("entries", []))]
        return ids[:1] if kind == "choice" else ids
    if kind == "classify":
        return {e["id"]: item["categories"][0]["id"] for e in item["entries"]}
    if kind in ("text_entry", "extended_text"):
        return "Greet every family by name and follow up the same day."
    if kind == "list":
        return ["Parents", "Teachers", "Bus drivers"][: max(item.get("min_entries", 1), 3)]
    if kind == "rating":
        return item["scale"]["max"]
    if kind == "matrix":
        return {s["id"]: item["scale"]["max"] for s in item["statements"]}
    if kind == "table":
        row = {c["id"]: "A colleague in the main office" for c in item["columns"]}
        fixed = [{**row, "row": r["id"]} for r in item.get("rows", [])]
        return fixed or [row] * max(item.get("min_rows", 1), 1)
    if kind == "scenario" and "nodes" in item:  # only the facilitator view holds the graph
        return scenario_path(item, lambda e: True)
    raise AssertionError(f"unknown item type {kind}")


def form_answers(form: dict[str, Any], *, right: bool = True) -> dict[str, Any]:
    pick = right_answer if right else wrong_answer
    return {item["id"]: pick(item) for item in form["items"]}

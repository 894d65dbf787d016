"""The plugin contract documents itself: every public hook of `Plugin` has a docstring, and the
contract's module docstring names everything it exports."""

import ast
import inspect
import re

import plugins.contract as contract
from plugins.contract import Plugin


def _documented_hooks() -> dict[str, str | None]:
    """Each public name defined in `Plugin`'s body, with its docstring (a method's, or the string
    literal right after an attribute)."""
    body = ast.parse(inspect.getsource(Plugin)).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str | None] = {}
    for node, following in zip(body.body, [*body.body[1:], None], strict=True):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = ast.get_docstring(node)
        elif isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            doc = (
                following.value.value
                if isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
                else None
            )
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = doc
    return {name: doc for name, doc in found.items() if not name.startswith("_")}


def test_every_public_hook_of_a_plugin_is_documented() -> None:
    hooks = _documented_hooks()
    public = {name for name in vars(Plugin) if not name.startswith("_")} | set(Plugin.__annotations__)
    assert public <= set(hooks), f"public names of Plugin not found in its body: {public - set(hooks)}"
    undocumented = sorted(name for name, doc in hooks.items() if not (doc and doc.strip()))
    assert not undocumented, f"Plugin hooks without a docstring: {undocumented}"
    assert {"lifespan", "subscriptions", "deliver", "events", "name", "config_type"} <= set(hooks)


def test_the_contract_docstring_lists_everything_it_exports() -> None:
    doc = contract.__doc__ or ""
    listed = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", doc))
    missing = sorted(set(contract.__all__) - listed)
    assert not missing, f"plugins.contract exports names its docstring does not list: {missing}"
    assert all(hasattr(contract, name) for name in contract.__all__)

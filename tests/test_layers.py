"""The import layers: the framework knows no rule, and no rule knows another.

- `bot` never imports `rules` (the registry or a rule), except `bot/cli.py`, which hands
  the registry to everything else;
- `rules.<x>` imports only `bot`, `rules.common` and itself: never another rule, never the
  registry;
- `rules.common` imports no rule.

Every import statement counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_ENTRY = "bot.cli"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(root: Path, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in `path`, relative ones resolved."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from rules import cla` names a module too.
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names
                         if target == "rules")
    return found


def rule_of(module: str) -> str | None:
    """`rules.cla.store` -> `cla`; None for the registry and for `rules.common`."""
    parts = module.split(".")
    if parts[0] != "rules" or len(parts) < 2 or parts[1] == "common":
        return None
    return parts[1]


def violations(root: Path) -> list[str]:
    found: list[str] = []
    for path in sorted([*root.glob("bot/**/*.py"), *root.glob("rules/**/*.py")]):
        importer = module_name(root, path)
        if importer == "rules":
            continue  # the registry imports every rule: that is its job
        own_rule = rule_of(importer)
        for line, target in imported_modules(root, path):
            top = target.split(".")[0]
            where = f"{path.relative_to(root)}:{line} imports {target}"
            if importer.startswith("bot") and top == "rules" and importer != FRAMEWORK_ENTRY:
                found.append(f"{where}: the framework is handed its rules, it imports none")
            elif importer.startswith("rules.common") and top == "rules" and not target.startswith("rules.common"):
                found.append(f"{where}: rules.common serves every rule and imports none")
            elif own_rule is not None and top == "rules":
                target_rule = rule_of(target)
                if target == "rules" or (target_rule is not None and target_rule != own_rule):
                    found.append(f"{where}: a rule imports only bot, rules.common and itself")
    return found


def test_the_tree_keeps_its_layers():
    assert violations(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_each_kind_of_crossing_is_caught(tmp_path):
    root = _tree(tmp_path, {
        "bot/__init__.py": "",
        "bot/cli.py": "from rules import RULES\n",  # allowed
        "bot/engine.py": "def f():\n    from rules import RULES\n",
        "rules/__init__.py": "from rules import cla, triage\n",  # allowed
        "rules/common/__init__.py": "",
        "rules/common/diff.py": "from rules.triage import size\n",
        "rules/cla/__init__.py": "",
        "rules/cla/rule.py": "from bot.rule import Rule\nfrom rules.common.diff import x\nfrom . import store\n",
        "rules/cla/store.py": "import rules\n",
        "rules/triage/__init__.py": "",
        "rules/triage/size.py": "from ..cla import store\n",
        "rules/triage/rule.py": "from rules import cla\n",
    })
    found = violations(root)
    assert any(v.startswith("bot/engine.py:2 imports rules") for v in found)
    assert any(v.startswith("rules/common/diff.py:1 imports rules.triage") for v in found)
    assert any(v.startswith("rules/cla/store.py:1 imports rules:") for v in found)
    assert any(v.startswith("rules/triage/size.py:1 imports rules.cla") for v in found)
    assert any(v.startswith("rules/triage/rule.py:1 imports rules.cla") for v in found)
    assert not any("bot/cli.py" in v or "rules/cla/rule.py" in v or v.startswith("rules/__init__") for v in found)

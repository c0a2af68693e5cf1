"""The package tree shows the pipeline: no module imports from a later stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rca"

# Foundations first, then the stages in the order data flows through them.
STAGES = ["errors", "cache", "compiled", "generated_code", "lazy", "knowledge", "inputs", "table", "findings", "outputs",
          "integrations", "history", "cli", "__main__"]


def stage_of(module: str) -> int:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 else -1


def rca_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rca."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("rca."))
    return found


# The package root only re-exports names lazily, so it sits above every stage.
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_top_level_module_or_package_is_a_known_stage():
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert names <= set(STAGES), names - set(STAGES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_later_stage(path: Path):
    here = module_name(path)
    later = [m for m in rca_imports(path) if stage_of(m) > stage_of(here)]
    assert not later, f"{here} imports from a later stage: {later}"

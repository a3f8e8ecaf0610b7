"""docs/pipeline.md is the code map of litellm_bundle: every subpackage and every module has its line there,
and every module a document names exists (a new module without a line, or a moved one, fails here); the
README indexes every document of docs/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "litellm_bundle"
CODE_MAP = ROOT / "docs" / "pipeline.md"
# documents that name modules by path or dotted name; the changelog records old names on purpose
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "helm" / "litellm-gateway" / "README.md.gotmpl", *(ROOT / "docs").glob("*.md")]
)
PATH_NAME = re.compile(r"litellm_bundle/[\w/]*\w(?:\.\w+)?")  # a module, or a data file of the package
DOTTED_NAME = re.compile(r"(?<![\w/.])litellm_bundle(?:\.\w+)+")
RUN_MODULE = re.compile(r" -m (litellm_bundle(?:\.\w+)*)")


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def subpackages() -> list[str]:
    return sorted(f"{relative(init.parent)}/" for init in PACKAGE.glob("*/__init__.py"))


def modules() -> list[str]:
    return sorted(relative(path) for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def test_every_subpackage_and_module_has_a_line_in_the_code_map() -> None:
    text = CODE_MAP.read_text(encoding="utf-8")
    assert subpackages(), "no subpackage found"
    missing = [name for name in subpackages() + modules() if f"`{name}`" not in text]
    assert missing == [], f"docs/pipeline.md names no line for: {missing} (add one per module, see 'Every module')"


def test_every_subpackage_documents_its_interface() -> None:
    """Each __init__ holds a docstring naming its modules, and no code (no re-exports)."""
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        unnamed = [m.stem for m in init.parent.glob("*.py") if m.name != "__init__.py" and f"`{m.stem}`" not in doc]
        assert unnamed == [], f"{relative(init)}: its docstring names no line for {unnamed}"
        assert len(tree.body) == 1, f"{relative(init)}: only the docstring, no code"


def exists(name: str) -> bool:
    if Path(name).suffix not in ("", ".py"):
        return (ROOT / name).is_file()  # a data file the package ships (policy/checks.yaml)
    path = ROOT / name.removesuffix(".py")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def defines(module: Path, name: str) -> bool:
    """Whether a module defines `name` at its top level (a function, a class or an assignment)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return True
    return False


def resolves(dotted: str) -> bool:
    """A dotted name is a module or package, or a top-level name of a module (packages hold no code)."""
    *parent, last = dotted.split(".")
    module = ROOT.joinpath(*parent).with_suffix(".py")
    return exists("/".join([*parent, last])) or (module.is_file() and defines(module, last))


@pytest.mark.parametrize("document", DOCUMENTS, ids=relative)
def test_every_module_a_document_names_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    named = {match.group(0) for match in PATH_NAME.finditer(text)}
    gone = sorted(name for name in named if not exists(name))
    gone += sorted(name for name in {match.group(0) for match in DOTTED_NAME.finditer(text)} if not resolves(name))
    assert gone == [], f"{relative(document)} names modules that do not exist: {gone}"


def runnable(dotted: str) -> bool:
    """`python -m NAME` runs a module with a main guard, or a package with a __main__.py."""
    path = ROOT.joinpath(*dotted.split("."))
    module = path.with_suffix(".py")
    if module.is_file():
        return '__name__ == "__main__"' in module.read_text(encoding="utf-8")
    return (path / "__main__.py").is_file()


@pytest.mark.parametrize("document", [*DOCUMENTS, ROOT / "Makefile"], ids=relative)
def test_every_command_a_document_runs_is_runnable(document: Path) -> None:
    named = {match.group(1) for match in RUN_MODULE.finditer(document.read_text(encoding="utf-8"))}
    assert sorted(name for name in named if not runnable(name)) == [], (
        f"{relative(document)}: `python -m` of a non-runnable module"
    )


def test_the_readme_indexes_every_document() -> None:
    index = (ROOT / "README.md").read_text(encoding="utf-8").split("## Documentation\n", 1)[-1].split("\n## ", 1)[0]
    missing = [relative(doc) for doc in sorted((ROOT / "docs").glob("*.md")) if f"]({relative(doc)})" not in index]
    assert missing == [], f"README.md's Documentation index has no line for {missing}"

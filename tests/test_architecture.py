"""The package's shape, read from its own imports with ``ast``.

ARCHITECTURE.md describes the layers; these tests keep the code to it:
no import cycle (imports inside functions counted), no private name or
private module of one layer taken by another, each layer importing only
from the layers below it, and the public API exactly what ``__all__``
lists.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import resamplespec

PACKAGE = Path(resamplespec.__file__).resolve().parent
NAME = "resamplespec"

#: Modules that every layer may use: data classes, argument checks, DQ flags
#: and the speed and memory limits.  They import nothing but each other.
SUPPORT = {"models", "options", "dqflags", "limits"}

#: What each layer may import (besides itself).  Drivers sit on top and may
#: import anything.
ALLOWED = {
    "support": {"support"},
    "kernel": {"support"},
    "geometry": {"support"},
    "io": {"support", "geometry"},
    "parallel": {"support", "kernel"},
    "pipeline": {"support", "kernel", "geometry", "io", "parallel"},
}

#: Third-party packages imported inside functions: each optional, so that
#: the package imports without it.
OPTIONAL = {"matplotlib", "dask", "distributed", "stdatamodels", "tqdm"}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name imported from
    names: tuple[str, ...]  # names taken from it (empty for ``import x``)
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists()


def _modules() -> dict[str, Path]:
    """The package's Python modules (read) and compiled ones (named only)."""
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _compiled() -> set[str]:
    return {_module_name(path) for path in PACKAGE.rglob("*.pyx")}


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module of a (possibly relative) ``from ... import``."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks (not imported at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, child.end_lineno + 1))
    return lines


def _imports() -> list[Import]:
    """Every import of the package's own modules, with where it stands."""
    found = []
    modules = _modules()
    known = set(modules) | _compiled()
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        skipped = _type_checking_lines(tree)
        functions = [n for n in ast.walk(tree)
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        in_function = {line for f in functions for line in range(f.lineno, f.end_lineno + 1)}
        for node in ast.walk(tree):
            if node.lineno in skipped if hasattr(node, "lineno") else False:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == NAME or alias.name.startswith(NAME + "."):
                        found.append(Import(module, alias.name, (), node.lineno,
                                            node.lineno in in_function))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node)
                if not (target == NAME or target.startswith(NAME + ".")):
                    continue
                names = tuple(alias.name for alias in node.names)
                # ``from . import io``: the submodule is what is imported
                submodules = [n for n in names if f"{target}.{n}" in known]
                for name in submodules:
                    found.append(Import(module, f"{target}.{name}", (), node.lineno,
                                        node.lineno in in_function))
                rest = tuple(n for n in names if n not in submodules)
                if rest:
                    found.append(Import(module, target, rest, node.lineno,
                                        node.lineno in in_function))
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    if parts[1] in SUPPORT:
        return "support"
    if parts[1] in ALLOWED:
        return parts[1]
    return "drivers"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module
    importing itself): Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _edges(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        edges.setdefault(imp.importer, set()).add(imp.target)
    return edges


# ---------------------------------------------------------------------------
# The checker checks: it finds what it must on small graphs
# ---------------------------------------------------------------------------


def test_the_cycle_finder_finds_a_cycle_of_three_and_a_self_import():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert sorted(_cycles(edges)) == [["a", "b", "c"], ["e"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_relative_imports_resolve_from_modules_and_packages():
    node = ast.parse("from ..models import SpectralImage").body[0]
    assert _resolve("resamplespec.io._fits", node) == "resamplespec.models"
    node = ast.parse("from ._tree import ARRAYS").body[0]
    assert _resolve("resamplespec.io", node) == "resamplespec.io._tree"
    node = ast.parse("from . import limits").body[0]
    assert _resolve("resamplespec.models", node) == "resamplespec"


def test_every_module_is_read_and_the_layers_are_recognised():
    modules = _modules()
    assert {"resamplespec.kernel._drizzler", "resamplespec.geometry._grid_nirspec",
            "resamplespec.io._fits", "resamplespec.pipeline._chain",
            "resamplespec.parallel._forked", "resamplespec.cli"} <= set(modules)
    assert _layer("resamplespec.limits") == "support"
    assert _layer("resamplespec.geometry._sky") == "geometry"
    assert _layer("resamplespec.dask") == "drivers"
    # the relative imports of a subpackage's own modules are found
    targets = {imp.target for imp in _imports() if imp.importer == "resamplespec.io._fits"}
    assert {"resamplespec.models", "resamplespec.geometry", "resamplespec.io._tree"} <= targets
    # and the compiled shim is a module of its own, not its package
    targets = {imp.target for imp in _imports()
               if imp.importer == "resamplespec.kernel._drizzler"}
    assert "resamplespec.kernel._kernel" in targets


# ---------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------


def test_no_module_imports_itself_back_through_others():
    cycles = _cycles(_edges(_imports()))
    assert cycles == [], f"import cycles: {cycles}"


def test_no_private_name_or_module_is_taken_from_another_layer():
    offences = []
    for imp in _imports():
        if _layer(imp.importer) == _layer(imp.target) and _layer(imp.target) != "support":
            continue
        private_module = any(part.startswith("_") and part != "__init__"
                             for part in imp.target.split(".")[1:])
        private_names = [n for n in imp.names if n.startswith("_")]
        if private_module or private_names:
            offences.append(f"{imp.importer}:{imp.line} takes {imp.target} {private_names}")
    assert offences == []


def test_each_layer_imports_only_from_the_layers_below_it():
    offences = []
    for imp in _imports():
        importer, target = _layer(imp.importer), _layer(imp.target)
        if importer in ("drivers", "top") or target == importer:
            continue
        if target not in ALLOWED[importer]:
            offences.append(f"{imp.importer}:{imp.line} ({importer}) imports "
                            f"{imp.target} ({target})")
    assert offences == []


def test_the_package_own_modules_are_imported_at_the_top_of_the_file():
    inside = [f"{imp.importer}:{imp.line} {imp.target}" for imp in _imports()
              if imp.in_function and not imp.target.endswith(".plot")]
    assert inside == []


def test_imports_inside_functions_are_only_of_optional_dependencies():
    offences = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    roots = [alias.name.split(".")[0] for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    roots = [(node.module or "").split(".")[0]]
                elif isinstance(node, ast.ImportFrom):
                    roots = [] if _resolve(module, node).endswith(".plot") else ["(own)"]
                else:
                    continue
                offences += [f"{module}:{node.lineno} {root}" for root in roots
                             if root not in OPTIONAL]
    assert offences == []


def test_modules_inside_subpackages_are_private():
    public = [module for module in _modules()
              if _layer(module) in ALLOWED and _layer(module) != "support"
              and module.count(".") == 2 and not module.split(".")[-1].startswith("_")]
    assert public == []


# ---------------------------------------------------------------------------
# The public API
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["resamplespec", "resamplespec.kernel",
                                    "resamplespec.geometry", "resamplespec.io",
                                    "resamplespec.parallel", "resamplespec.pipeline"])
def test_all_lists_exactly_the_public_names_a_package_offers(module):
    package = importlib.import_module(module)
    exported = set(package.__all__)
    assert len(package.__all__) == len(exported)
    assert all(hasattr(package, name) for name in exported)
    defined = {name for name, value in vars(package).items()
               if not name.startswith("_") and not isinstance(value, type(ast))}
    assert defined - {"annotations"} <= exported | {"limits"}


def test_the_top_level_api_is_todays_names_plus_read_and_write():
    assert sorted(resamplespec.__all__) == sorted([
        "AddCounts", "DrizzleResult", "Drizzler", "ExposureTimes", "MultiSlitImage",
        "OutlierWarning", "find_outliers", "OutputGrid", "ResampleRecord", "SlitInfo",
        "SpectralImage", "SpectralMeta",
        "__version__", "build_output_grid", "load_output_wcs", "read", "resample",
        "write",
        # issue 16: the covariance of drizzled pixels and the extraction using it
        "ExtractedSpectrum", "PixelCorrelation", "extract",
        # issue 19: warnings users filter by class (inputs left out or
        # weighing nothing; footprints too wide to draw)
        "InputWarning", "DrizzleWarning",
    ])
    assert resamplespec.read is resamplespec.io.read
    assert resamplespec.write is resamplespec.io.write

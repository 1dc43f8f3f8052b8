"""The documentation stays complete and CI stays the README's command.

The site itself is built (warnings as errors) by ``.ci/run``; these checks
need no Sphinx: every public module has an API page, every name of the
user's API is on the first one, and CI runs what the README says.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import resamplespec
from resamplespec.cli import main

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"

#: The modules whose ``__all__`` (or public members) the API reference shows.
PUBLIC_MODULES = [
    "resamplespec", "resamplespec.kernel", "resamplespec.geometry", "resamplespec.io",
    "resamplespec.parallel", "resamplespec.pipeline", "resamplespec.models",
    "resamplespec.options", "resamplespec.dqflags", "resamplespec.limits",
    "resamplespec.cli", "resamplespec.dask", "resamplespec.plot", "resamplespec.datasets",
    "resamplespec.jwst", "resamplespec.extraction",
]


def _api_text() -> str:
    return "\n".join(path.read_text() for path in sorted(API.glob("*.rst")))


def _documented_modules(text: str) -> set[str]:
    return set(re.findall(r"^\.\. automodule:: (\S+)", text, flags=re.MULTILINE))


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_has_an_automodule_directive(module):
    assert module in _documented_modules(_api_text())


def test_every_subpackage_of_the_package_is_in_the_list_of_public_modules():
    package = Path(resamplespec.__file__).parent
    subpackages = {f"resamplespec.{path.parent.name}" for path in package.glob("*/__init__.py")}
    modules = {f"resamplespec.{path.stem}" for path in package.glob("[!_]*.py")}
    assert subpackages | modules <= set(PUBLIC_MODULES)


def test_no_api_page_leaves_out_members_of_its_module():
    # the layer pages show every name of their module's __all__
    assert ":exclude-members:" not in _api_text()


@pytest.mark.parametrize("name", sorted(set(resamplespec.__all__)))
def test_every_name_of_the_user_api_is_on_the_first_api_page(name):
    text = (API / "resamplespec.rst").read_text()
    short = re.compile(rf"^\.\. (auto)?(function|class|data|py:class|py:data):: "
                       rf"(resamplespec\.)?{re.escape(name)}$", flags=re.MULTILINE)
    assert short.search(text), name


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```bash\n(pip install -e [^\n]*pytest[^\n]*)\n```", readme)
    assert command is not None
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command.group(1) in ci
    assert "python -m sphinx -W --keep-going" in command.group(1)


def _option_rows() -> dict[str, str]:
    """Each row of the options tables: the Python name -> its default cell."""
    text = (ROOT / "docs" / "options.rst").read_text()
    rows = {}
    for row in re.split(r"^   \* - ", text, flags=re.MULTILINE)[1:]:
        name = re.match(r"``(\w+)``", row)
        cells = re.split(r"^     - ", row, flags=re.MULTILINE)
        if name and len(cells) >= 3:
            rows[name.group(1)] = cells[1].strip()
    return rows


def test_every_option_of_resample_is_in_the_options_table_with_its_default():
    parameters = inspect.signature(resamplespec.resample).parameters.values()
    options = {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}
    rows = _option_rows()
    assert sorted(options) == sorted(rows)
    for name, default in options.items():
        assert rows[name] == f"``{default!r}``", name


def test_every_command_line_flag_is_on_the_options_page(capsys):
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    flags = {flag for flag in re.findall(r"(?<![\w-])--[a-z][a-z_-]*", help_text)
             if flag != "--help" and not flag.startswith("--no-")}
    assert {"--pixfrac", "--output", "--n_jobs"} <= flags
    text = (ROOT / "docs" / "options.rst").read_text()
    # each flag inside a literal of the page (``--overwrite``, ``-o/--output FILE``)
    missing = sorted(flag for flag in flags
                     if not re.search(rf"``[^`]*{flag}(?![\w-])[^`]*``", text))
    assert not missing

"""The mutation lists of tools/mutations/ stay runnable (tools/mutation.py).

The mutation suite itself is slow and runs before a release, not here; this
checks, in a fraction of a second, that no list has gone stale: every
``find`` text still occurs exactly once in its file, and every named test
still exists.  A refactoring that moves the code a mutation plants its bug
in fails here, so the list is updated with the code.
"""

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("mutation_tool", ROOT / "tools" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mutation = _tool()


def test_every_mutation_still_applies_and_names_existing_tests():
    mutations = mutation.load_mutations()
    assert mutation.check_mutations(mutations) == []
    # the kinds of bug issue 21 planted by hand, and the kernel's fast path
    names = {m.name for m in mutations}
    assert {"kernel.dq_fast_path", "kernel.pixfrac_on_area", "kernel.point_truncates",
            "chain.nirspec_red_end", "chain.fits_wave_tab_crpix"} <= names
    assert len(mutations) >= 15


def _write_list(folder, text):
    folder.mkdir(exist_ok=True)
    (folder / "sample.py").write_text(textwrap.dedent(text))


def test_a_stale_list_is_reported_with_what_went_stale(tmp_path):
    (tmp_path / "code.py").write_text("x = 1\ny = 1\n")
    (tmp_path / "test_code.py").write_text("def test_x():\n    pass\n")
    _write_list(tmp_path / "lists", """
        MUTATIONS = [
            dict(name="a", path="code.py", find="x = 1", replace="x = 2",
                 tests=["test_code.py::test_x"]),
            dict(name="a", path="code.py", find=" = 1", replace=" = 2",
                 tests=["test_code.py::test_gone", "missing.py"]),
            dict(name="c", path="gone.py", find="z", replace="z", tests=["test_code.py"]),
        ]
    """)
    mutations = mutation.load_mutations(tmp_path / "lists")
    problems = mutation.check_mutations(mutations, tmp_path)
    assert problems == [
        "sample.py: a: name also used in sample.py",
        "sample.py: a: the find text occurs 2 times in code.py, not once",
        "sample.py: a: test_code.py defines no test_gone",
        "sample.py: a: no test file missing.py",
        "sample.py: c: no file gone.py",
        "sample.py: c: replace equals find",
    ]
    assert mutation.check_mutations(mutations[:1], tmp_path) == []


@pytest.mark.parametrize("entry", [
    'dict(name="a", path="p", find="f", replace="r")',
    'dict(name="a", path="p", find="f", replace="r", tests=[], extra=1)',
    'dict(name="a", path="p", find="f", replace="r", tests="tests/test_x.py")',
    'dict(name="a", path="p", find="f", replace="r", tests=[])',
])
def test_malformed_entries_are_refused(tmp_path, entry):
    _write_list(tmp_path / "lists", f"MUTATIONS = [{entry}]\n")
    with pytest.raises(mutation.ListError, match="sample.py"):
        mutation.load_mutations(tmp_path / "lists")


def test_subsets_are_chosen_by_name_or_prefix():
    mutations = mutation.load_mutations()
    chosen = mutation.select(mutations, ["kernel.dq_fast_path", "chain."])
    assert [m.name for m in chosen] == [m.name for m in mutations
                                        if m.name.startswith("chain.")
                                        or m.name == "kernel.dq_fast_path"]
    assert any(m.name.startswith("chain.") for m in chosen)
    with pytest.raises(mutation.ListError, match="no mutation named nothing"):
        mutation.select(mutations, ["nothing"])


def test_first_failure_names_the_failing_test():
    output = "..F\n=== short test summary info ===\nFAILED tests/a.py::test_b[1] - assert 0\n"
    assert mutation.first_failure(output) == "tests/a.py::test_b[1]"
    assert mutation.first_failure("ERROR tests/a.py - ImportError\n") == "tests/a.py"
    assert mutation.first_failure("Segmentation fault\n") == "Segmentation fault"


class _ScriptedScratch:
    """A scratch copy whose pytest runs give scripted exit codes."""

    def __init__(self, codes, fail_apply=False):
        self.codes = list(codes)
        self.fail_apply = fail_apply
        self.runs, self.restored = [], []

    def apply(self, m):
        if self.fail_apply:
            raise mutation.BuildError(f"{m.name}: the rebuilt extension equals the unmutated one")
        return "original text"

    def restore(self, m, original):
        self.restored.append(original)

    def pytest(self, args, timeout):
        self.runs.append(args)
        code = self.codes.pop(0)
        return code, "" if code in (0, None) else "FAILED tests/t.py::test_x - assert 0\n"


@pytest.mark.parametrize(("codes", "status", "killed_by", "runs"), [
    ([1], "killed", "named", 1),
    ([0, 1], "killed", "suite", 2),
    ([0, 0], "survived", "", 2),
    ([None], "killed", "timeout", 1),
])
def test_named_tests_run_first_then_the_suite_and_the_file_is_always_restored(
        codes, status, killed_by, runs):
    m = mutation.Mutation("m", "src_c/x.c", "a", "b", ("tests/t.py::test_x",), "l.py")
    scratch = _ScriptedScratch(codes)
    outcome = mutation.run_one(scratch, m, suite=True, timeout=10)
    assert (outcome.status, outcome.killed_by) == (status, killed_by)
    assert scratch.runs[:runs] == [["tests/t.py::test_x"], ["-x"]][:runs]
    assert len(scratch.runs) == runs
    assert scratch.restored == ["original text"]
    if status == "killed" and killed_by != "timeout":
        assert outcome.first_failure == "tests/t.py::test_x"


def test_a_build_that_did_not_change_is_an_error_not_a_survivor():
    m = mutation.Mutation("m", "src_c/x.c", "a", "b", ("tests/t.py::test_x",), "l.py")
    scratch = _ScriptedScratch([], fail_apply=True)
    outcome = mutation.run_one(scratch, m, suite=True, timeout=10)
    assert outcome.status == "error" and "equals the unmutated one" in outcome.first_failure
    assert scratch.runs == []

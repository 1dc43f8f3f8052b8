"""Mutation testing of resamplespec: plant known bugs, one at a time, and
check that the tests catch each.

The mutations are listed in ``tools/mutations/*.py``; each module defines

    MUTATIONS = [
        dict(name="...",               # unique across all the lists
             path="src_c/....c",       # a file of the repository
             find="exact source text", # occurs exactly once in that file
             replace="mutated text",
             tests=["tests/...py::test_name", ...]),  # should kill it
        ...,
    ]

For every mutation, in a scratch copy of the repository (the files git
tracks or would track, as they are in the working tree, so uncommitted
tests count): apply it; if it touches C or Cython, rebuild the extension
with ``--force`` and check that the rebuilt library differs from the
unmutated one (a stale extension would silently test the old code); run
the named tests, and if they all pass, the whole suite with ``-x``;
restore the file (and the unmutated extension).  A mutation is *killed*
when some test fails (or the run times out: a planted infinite loop),
*survived* when everything passes.  Python bytecode is never written in
the scratch copy, so no stale ``.pyc`` can stand in for a mutated module.

Before any mutation the named tests run once on the unmutated copy: they
must pass, or a failure would prove nothing.

Usage (from the repository root; slow: run before a release, not in CI)::

    python tools/mutation.py                  # every mutation
    python tools/mutation.py --list           # names, files and tests
    python tools/mutation.py NAME [NAME ...]  # a subset, by name or prefix
    python tools/mutation.py --jobs 2         # two scratch copies at once
    python tools/mutation.py --named-only     # named tests only, no suite

Exit status: 0 when every mutation was killed, 1 when any survived, 2 when
the run itself failed (a list that went stale, a build that did not
change, named tests failing on the unmutated code).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTS = ROOT / "tools" / "mutations"
KEYS = ("name", "path", "find", "replace", "tests")
#: files whose change needs the extension rebuilt
COMPILED_SUFFIXES = (".c", ".h", ".pyx", ".pxd")
EXTENSION_DIR = Path("resamplespec") / "kernel"
#: pytest options of every run: no cache written into the scratch copy,
#: short tracebacks, the reasons of failures and errors listed at the end
PYTEST = ("-q", "-p", "no:cacheprovider", "--tb=short", "-rfE")


class ListError(ValueError):
    """A mutation list is malformed or no longer matches the code."""


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    find: str
    replace: str
    tests: tuple[str, ...]
    source: str  # the list it comes from

    @property
    def compiled(self) -> bool:
        return self.path.endswith(COMPILED_SUFFIXES)


@dataclasses.dataclass
class Outcome:
    mutation: Mutation
    status: str          # 'killed', 'survived' or 'error'
    killed_by: str = ""  # 'named', 'suite', 'timeout'
    first_failure: str = ""
    seconds: float = 0.0


# --- the lists ------------------------------------------------------------------------


def load_mutations(lists_dir: Path = LISTS) -> list[Mutation]:
    """Every mutation of ``lists_dir/*.py``, in file then list order."""
    mutations = []
    for file in sorted(lists_dir.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_mutations_{file.stem}", file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        entries = getattr(module, "MUTATIONS", None)
        if not isinstance(entries, list):
            raise ListError(f"{file}: no MUTATIONS list")
        for k, entry in enumerate(entries):
            if not isinstance(entry, dict) or set(entry) != set(KEYS):
                raise ListError(f"{file}: entry {k} must be a dict with exactly the keys "
                                f"{', '.join(KEYS)}")
            tests = entry["tests"]
            if isinstance(tests, str) or not tests:
                raise ListError(f"{file}: {entry['name']}: tests must be a non-empty list")
            mutations.append(Mutation(entry["name"], entry["path"], entry["find"],
                                      entry["replace"], tuple(tests), file.name))
    return mutations


def check_mutations(mutations: list[Mutation], root: Path = ROOT) -> list[str]:
    """Problems that would void a run, as sentences; [] when the lists are
    sound: unique names, each ``find`` exactly once in its file and
    different from ``replace``, each named test file present and defining
    the named test."""
    problems = []
    seen: dict[str, str] = {}
    for m in mutations:
        where = f"{m.source}: {m.name}"
        if m.name in seen:
            problems.append(f"{where}: name also used in {seen[m.name]}")
        seen[m.name] = m.source
        file = root / m.path
        if not file.is_file():
            problems.append(f"{where}: no file {m.path}")
        else:
            count = file.read_text().count(m.find)
            if count != 1:
                problems.append(f"{where}: the find text occurs {count} times in {m.path}, "
                                "not once")
        if m.find == m.replace:
            problems.append(f"{where}: replace equals find")
        for node in m.tests:
            problem = _check_node(root, node)
            if problem:
                problems.append(f"{where}: {problem}")
    return problems


def _check_node(root: Path, node: str) -> str:
    path, _, rest = node.partition("::")
    file = root / path
    if not file.is_file():
        return f"no test file {path}"
    if rest and path.endswith((".rst", ".md")):
        # pytest's doctest item of a page is named after the page's file
        if rest != file.name:
            return f"{path}'s doctests are collected as {path}::{file.name}, not ::{rest}"
    elif rest:
        # a function or a class, optionally with a parameter id
        name = rest.split("::")[0].split("[")[0]
        pattern = rf"^\s*(async\s+)?(def|class)\s+{re.escape(name)}\b"
        if not re.search(pattern, file.read_text(), flags=re.MULTILINE):
            return f"{path} defines no {name}"
    return ""


def select(mutations: list[Mutation], names: list[str]) -> list[Mutation]:
    """The mutations named (exactly, or by a prefix of their names)."""
    if not names:
        return mutations
    chosen = [m for m in mutations if any(m.name == n or m.name.startswith(n) for n in names)]
    unknown = [n for n in names if not any(m.name == n or m.name.startswith(n)
                                           for m in mutations)]
    if unknown:
        raise ListError(f"no mutation named {', '.join(unknown)} (see --list)")
    return chosen


# --- the scratch copy ----------------------------------------------------------------


def _repository_files(root: Path) -> list[str]:
    """Files git tracks or would track (not ignored), as in the working tree."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, check=True, capture_output=True,
    ).stdout.decode()
    return [name for name in listing.split("\0") if name and (root / name).is_file()]


class Scratch:
    """A copy of the repository with its extension built, where mutations
    are applied one at a time and undone."""

    def __init__(self, root: Path, parent: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="mutation-", dir=parent))
        for name in _repository_files(root):
            target = self.dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target)
        self.env = dict(os.environ, PYTHONPATH=str(self.dir), PYTHONDONTWRITEBYTECODE="1")
        self.env.pop("PYTEST_ADDOPTS", None)
        self._build()
        self.library = self._library()
        self.baseline = {p: p.read_bytes() for p in self._built_files()}
        self.baseline_digest = _digest(self.library)
        where = self.python("-c", "import resamplespec; print(resamplespec.__file__)")
        if not where.strip().startswith(str(self.dir)):
            raise RuntimeError(f"the scratch copy imports resamplespec from {where.strip()}")

    def python(self, *args, timeout=None) -> str:
        done = subprocess.run([sys.executable, *args], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=True)
        return done.stdout

    def _build(self) -> None:
        done = subprocess.run(
            [sys.executable, "setup.py", "build_ext", "--inplace", "--force", "-q"],
            cwd=self.dir, env=self.env, capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise BuildError(done.stdout[-3000:] + done.stderr[-3000:])

    def _library(self) -> Path:
        found = sorted((self.dir / EXTENSION_DIR).glob("_kernel*.so")) + sorted(
            (self.dir / EXTENSION_DIR).glob("_kernel*.pyd"))
        if len(found) != 1:
            raise RuntimeError(f"expected one built extension in {EXTENSION_DIR}, found {found}")
        return found[0]

    def _built_files(self) -> list[Path]:
        """The extension and the C that Cython generated: restored after a
        mutation of compiled code, so the next build starts from them."""
        generated = self.dir / EXTENSION_DIR / "_kernel.c"
        return [self.library] + ([generated] if generated.exists() else [])

    def apply(self, m: Mutation) -> str:
        file = self.dir / m.path
        original = file.read_text()
        if original.count(m.find) != 1:
            raise ListError(f"{m.name}: the find text is not once in {m.path}")
        file.write_text(original.replace(m.find, m.replace))
        if m.compiled:
            try:
                self._rebuild(m)
            except BuildError:
                self.restore(m, original)
                raise
        return original

    def _rebuild(self, m: Mutation) -> None:
        before = time.time()
        self._build()
        library = self._library()
        # a stale extension would test the unmutated code: the build must
        # have written a new library, and its bytes must differ
        if library.stat().st_mtime < before - 1:
            raise BuildError(f"{m.name}: the extension was not rebuilt")
        if _digest(library) == self.baseline_digest:
            raise BuildError(f"{m.name}: the rebuilt extension equals the unmutated one "
                             "(a mutation the compiler removes, or a stale build)")

    def restore(self, m: Mutation, original: str) -> None:
        (self.dir / m.path).write_text(original)
        if m.compiled:
            for path, content in self.baseline.items():
                path.write_bytes(content)
            if _digest(self._library()) != self.baseline_digest:
                raise BuildError("the unmutated extension could not be restored")

    def pytest(self, args, timeout) -> tuple[int | None, str]:
        """(exit code, output) of pytest in the scratch copy; exit code None
        when it ran out of time (the whole process group is stopped)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *PYTEST, *args], cwd=self.dir, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return None, output
        return process.returncode, output

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class BuildError(RuntimeError):
    """The extension could not be built, or a build did not take."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def first_failure(output: str) -> str:
    """The first test pytest reports as failed or in error, else the last
    line of its output (a collection error, a crash)."""
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1].split(" - ")[0].strip()
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


# --- running ---------------------------------------------------------------------------


def run_one(scratch: Scratch, m: Mutation, *, suite: bool, timeout: float) -> Outcome:
    start = time.monotonic()
    outcome = Outcome(m, "survived")
    try:
        original = scratch.apply(m)
    except (BuildError, ListError) as error:
        return Outcome(m, "error", first_failure=str(error).splitlines()[-1],
                       seconds=time.monotonic() - start)
    try:
        stages = [("named", list(m.tests))] + ([("suite", ["-x"])] if suite else [])
        for stage, args in stages:
            code, output = scratch.pytest(args, timeout)
            if code is None:
                outcome = Outcome(m, "killed", "timeout", f"{stage} tests ran over {timeout} s")
                break
            if code != 0:
                outcome = Outcome(m, "killed", stage, first_failure(output))
                break
    finally:
        scratch.restore(m, original)
    outcome.seconds = time.monotonic() - start
    return outcome


def run_all(mutations, *, jobs, suite, timeout, log) -> list[Outcome]:
    parent = Path(tempfile.mkdtemp(prefix="resamplespec-mutation-"))
    try:
        scratches = [Scratch(ROOT, parent) for _ in range(max(1, jobs))]
        named = sorted({node for m in mutations for node in m.tests})
        code, output = scratches[0].pytest(named, timeout)
        if code != 0:
            raise RuntimeError("the named tests fail on the unmutated code:\n"
                               + output[-3000:])
        log(f"baseline: {len(named)} named tests pass on the unmutated code")
        queue = list(enumerate(mutations))
        outcomes: list[Outcome | None] = [None] * len(mutations)

        def worker(scratch):
            while queue:
                try:
                    k, m = queue.pop(0)
                except IndexError:
                    return
                outcomes[k] = run_one(scratch, m, suite=suite, timeout=timeout)
                log(_row(outcomes[k]))

        with concurrent.futures.ThreadPoolExecutor(len(scratches)) as pool:
            for future in [pool.submit(worker, s) for s in scratches]:
                future.result()
        return outcomes
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _row(o: Outcome) -> str:
    how = f"{o.status} ({o.killed_by})" if o.killed_by else o.status
    return f"{o.mutation.name:<44} {how:<17} {o.seconds:6.1f} s  {o.first_failure}"


def summary(outcomes: list[Outcome], seconds: float) -> str:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("killed", "survived", "error")}
    by_suite = [o.mutation.name for o in outcomes if o.killed_by == "suite"]
    lines = [f"{'mutation':<44} {'result':<17} {'time':>8}  first failing test", "-" * 100]
    lines += [_row(o) for o in outcomes]
    lines.append("-" * 100)
    lines.append(f"{len(outcomes)} mutations: {counts['killed']} killed, "
                 f"{counts['survived']} survived, {counts['error']} errors, "
                 f"in {seconds / 60:.1f} min")
    if by_suite:
        lines.append("killed by the suite but not by their named tests (name better tests): "
                     + ", ".join(by_suite))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="mutations to run (names or prefixes)")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--jobs", type=int, default=1,
                        help="scratch copies run side by side (default 1)")
    parser.add_argument("--named-only", action="store_true",
                        help="run only each mutation's named tests, not the suite")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds one pytest run may take before it counts as killed")
    args = parser.parse_args(argv)

    def log(line):
        print(line, flush=True)

    try:
        mutations = select(load_mutations(), args.names)
    except ListError as error:
        print(f"mutation lists: {error}", file=sys.stderr)
        return 2
    if args.list:
        for m in mutations:
            print(f"{m.name:<44} {m.path}\n{'':<44} {' '.join(m.tests)}")
        return 0
    problems = check_mutations(mutations)
    if problems:
        print("mutation lists:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        outcomes = run_all(mutations, jobs=args.jobs, suite=not args.named_only,
                           timeout=args.timeout, log=log)
    except (RuntimeError, ListError) as error:
        print(f"mutation run failed: {error}", file=sys.stderr)
        return 2
    print()
    print(summary(outcomes, time.monotonic() - start))
    if any(o.status == "error" for o in outcomes):
        return 2
    return 1 if any(o.status == "survived" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

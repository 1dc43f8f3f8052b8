"""Mutations that the tests of issue 14 (files read the quick way) and of
issue 19's damaged inputs must catch (see tools/mutation.py)."""

MUTATIONS = [
    dict(
        name="unsigned DQ: the top bit not flipped back (BZERO = 2**31 ignored)",
        path="resamplespec/io/_fits_layout.py",
        find="            values ^= unsigned(1 << (8 * values.itemsize - 1))",
        replace="            pass",
        tests=["tests/io/test_fast_read.py::test_arrays_are_the_values_astropy_reads"],
    ),
    dict(
        name="big-endian values relabelled as native without swapping their bytes",
        path="resamplespec/io/_fits_layout.py",
        find="values = values.byteswap(inplace=True).view(values.dtype.newbyteorder(\"=\"))",
        replace="values = values.view(values.dtype.newbyteorder(\"=\"))",
        tests=["tests/io/test_fast_read.py::test_arrays_are_the_values_astropy_reads"],
    ),
    dict(
        name="a truncated FITS file not recognised as one",
        path="resamplespec/io/_fits_layout.py",
        find="        if size % _BLOCK:",
        replace="        if False:",
        tests=["tests/io/test_damaged_files.py::"
               "test_damaged_files_read_or_fail_with_one_line_naming_the_file"],
    ),
    dict(
        name="a user's read shares the gwcs and arrays made for the run's reads",
        path="resamplespec/io/_fits.py",
        find="self.tree = entry.tree(kept=shared and may_keep_tree(entry))",
        replace="self.tree = entry.tree(kept=True)",
        tests=["tests/io/test_fast_read.py::test_each_read_returns_objects_of_its_own"],
    ),
    dict(
        name="files known by path alone: a rewritten file read through its old index",
        path="resamplespec/io/_fits_layout.py",
        find="key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)",
        replace="key = (os.path.abspath(path),)",
        tests=["tests/io/test_fast_read.py::test_a_rewritten_file_is_read_anew"],
    ),
    dict(
        name="the kept tree parsed again at every slit's read",
        path="resamplespec/io/_fits_layout.py",
        find="            if kept and self._tree is not None:",
        replace="            if False:",
        tests=["tests/io/test_fast_read.py::"
               "test_embedded_trees_are_parsed_once_per_file_per_run"],
    ),
    dict(
        name="one open file per layout, shared by the threads reading its slits",
        path="resamplespec/io/_fits_layout.py",
        find="        self._open = threading.local()",
        replace="        self._open = type(\"Shared\", (), {})()",
        tests=["tests/io/test_fast_read.py::test_threads_read_the_slits_of_one_file_at_once"],
    ),
    dict(
        name="a block cut short, found at a slit's read, not named with its file",
        path="resamplespec/io/_deferred.py",
        find="        except (OSError, TypeError, KeyError, IndexError, RuntimeError) as exc:",
        replace="        except ImportError as exc:",
        tests=["tests/io/test_damaged_files.py::"
               "test_damage_found_only_when_a_slit_is_read_is_named_with_file_and_slit"],
    ),
]

"""The private names of resamplespec that tests use, in one place, layer by layer.

Tests use public names (what the subpackage ``__init__``s export, and
:mod:`resamplespec.limits`, the documented hook for thresholds) wherever
public behaviour can be checked with the same assertion.  What is here
cannot be: each entry says why.  A refactoring that moves one of these
names changes this file only, and shows which tests depend on internals.

Not listed: ``resamplespec.kernel._kernel``, the Cython shim over the C
core, which the kernel layer's own tests (tests/kernel/) call directly.
"""

import importlib

# ---------------------------------------------------------------------------
# kernel
# ---------------------------------------------------------------------------

#: WindowedDrizzle looks up ``window_count`` here: tests set it to force a
#: number of windows on inputs small enough for a test.
windows_module = importlib.import_module("resamplespec.kernel._windows")


def accumulators(drizzler):
    """The double-precision sums under the float32 results: a difference of
    one unit in the last place here is usually invisible after finish()."""
    drizzler.finish()
    # the last input's variances are folded into the sums when the next
    # input comes: fold it here too
    drizzler._fold_pending_input()
    arrays = [drizzler._sum_wd, drizzler._sum_w, *drizzler._sum_var, *drizzler._var_wt,
              *drizzler._context_planes]
    if drizzler._dq is not None:
        arrays.append(drizzler._dq)
    return arrays


def sum_wd(drizzler):
    """The sum of weight x data itself (float64, before finish() divides
    and rounds): banded and serial passes must give it bit for bit."""
    return drizzler._sum_wd


def sum_w(drizzler):
    """The sum of weights itself (float64), as :func:`sum_wd`."""
    return drizzler._sum_w


def bands(drizzler):
    """The bands a Drizzler with ``n_jobs`` chose: (row_start, row_stop,
    col_start, col_stop) each, [] for one pass.  Whether bands are used
    shows in no result (they give the same bits by design)."""
    return drizzler._bands


# ---------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------

#: The numerical helpers of the grid builders, checked bit for bit against
#: numpy (and astropy's sigma clipping) on values no public input reaches.
_grid_parts = importlib.import_module("resamplespec.geometry._grid_parts")
clipped_weights = _grid_parts._clipped_weights
column_medians = _grid_parts._column_medians
median_of_finite = _grid_parts._median_of_finite
nanmean = _grid_parts._nanmean

#: The compiled evaluator of a gwcs's steps, checked against sample_input's
#: row-and-column broadcast evaluation.
evaluator = importlib.import_module("resamplespec.geometry._sampling")._evaluator


def spatial_axis(grid):
    """The linear model of an OutputGrid's spatial axis (``slopes``,
    ``inverse_from``): the exact slope and the coordinate inverted, which
    the grid's WCS shows only through rounding."""
    return grid._spatial


def kept_samples(grid):
    """The builder's samples an OutputGrid keeps for pixel_map, by image id:
    that they are used once and then dropped shows in memory only."""
    return grid._samples


def pixel_map_whole(grid, samples):
    """The pixel map from one evaluation of the whole input ..."""
    return grid._pixel_map_from_samples(samples)


def pixel_map_by_blocks(grid, image):
    """... and the one made a block of rows at a time (in_memory=False)."""
    return grid._pixel_map_by_blocks(image)


# ---------------------------------------------------------------------------
# io
# ---------------------------------------------------------------------------

#: The deferred-reading module: tests patch its ``open_product`` (to count
#: the parses) and ``_metadata_of`` (to make a metadata read fail), names
#: it looks up at call time.
deferred_module = importlib.import_module("resamplespec.io._deferred")


def kept_open_files():
    """The multi-slit files this process keeps open (oldest first): which
    files stay open, and that none is left, shows in no result."""
    return list(deferred_module._OPEN_FILES._files.values())


def kept_open_file_keys():
    """The keys (path, size, mtime, ...) of the files kept open."""
    return list(deferred_module._OPEN_FILES._files)


def kept_open_file(key):
    return deferred_module._OPEN_FILES._files[key]


# ---------------------------------------------------------------------------
# pipeline
# ---------------------------------------------------------------------------

#: err = sqrt(nansum of the variances), made one variance at a time: checked
#: bit for bit against the stacked formula on random variances and NaNs.
error_from_variances = importlib.import_module("resamplespec.pipeline._chain")._error_from_variances

#: The chain module: test_memory wraps its ``_output_meta`` to measure the
#: memory alive when the products' metadata is made.
chain_module = importlib.import_module("resamplespec.pipeline._chain")

#: Slit groups of exposures already made (DeferredImage subclasses included,
#: which the public slit_groups would not accept as inputs).
group_by_slit = importlib.import_module("resamplespec.pipeline._groups")._group_by_slit

#: resample()'s module: tests replace its ``progress`` (to count the steps),
#: ``can_fork`` (to choose processes or threads) and spy on
#: ``_map_groups_in_processes``, the names it calls.
resample_module = importlib.import_module("resamplespec.pipeline._resample")

# ---------------------------------------------------------------------------
# parallel
# ---------------------------------------------------------------------------

#: map_forked's folders (shared memory, spill): replaced by a subclass whose
#: shared-memory folder is full, to test spilling on any machine.
Folders = importlib.import_module("resamplespec.parallel._forked")._Folders
forked_module = importlib.import_module("resamplespec.parallel._forked")

# ---------------------------------------------------------------------------
# drivers
# ---------------------------------------------------------------------------

#: quick_look's helpers: the picture's axes (data turned to spatial x
#: wavelength, cell edges around uneven or descending centres), which a
#: figure shows only as pixels.  Imported on use: matplotlib is optional.


def plot_helpers():
    """(rectified, edges) of :mod:`resamplespec.plot`."""
    from resamplespec import plot

    return plot._rectified, plot._edges

"""Shared fixtures of the whole suite (tests/<layer>/ mirror the package).

Plain helper modules live beside this file (``polyclip``, ``kernel_inputs``,
``internals``) and the reference cases in ``reference/``; both folders are on
``sys.path`` through ``pythonpath`` in pyproject.toml, so tests import them by
name from any folder.
"""

import gc
import weakref

import pytest

# the golden-file generators need jwst and set environment variables on import:
# they are scripts, not modules to collect (for doctests)
collect_ignore = ["reference"]

#: The arrays of a product, compared by the tests that expect identical results.
PRODUCT_ARRAYS = ("data", "wht", "con", "err", "var_rnoise", "var_poisson", "var_flat", "dq")


def _assert_identical(a, b):
    """Two products with the same arrays bit for bit (NaN payloads and signed
    zeros included) and the same metadata."""
    for name in PRODUCT_ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
        else:
            assert x.dtype == y.dtype, name
            assert x.tobytes() == y.tobytes(), name
    assert a.meta == b.meta


@pytest.fixture
def assert_identical():
    return _assert_identical


@pytest.fixture
def inputs_in_memory(monkeypatch):
    """Counts inputs read from files: a list that gets, at every
    ``DeferredImage.load``, how many of the images read so far are still
    alive (after a garbage collection) -- the inputs in memory at once."""
    from resamplespec.io import DeferredImage

    loaded, most = [], []
    original = DeferredImage.load

    def counting_load(self):
        gc.collect()
        image = original(self)
        loaded.append(weakref.ref(image))
        most.append(sum(ref() is not None for ref in loaded))
        return image

    monkeypatch.setattr(DeferredImage, "load", counting_load)
    return most

"""Progress bars (tqdm, on stderr) for long runs."""

from __future__ import annotations


def progress(enabled: bool, total: int):
    """A tqdm bar over the inputs drawn (disabled: a no-op with the same API,
    without importing tqdm, whose modules cost 1.5 MB on first use)."""
    if not enabled:
        return _NoProgress()
    # imported on first use: tqdm's modules cost 1.5 MB
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="input", desc="resampling", leave=False, disable=None)


class _NoProgress:
    """The progress bar when it is off."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def update(self, steps: int) -> None:
        pass

"""Writing ``single=True`` products as they are made (``in_memory=False``)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ..io import check_output_folder, write
from ..models import SpectralImage

log = logging.getLogger(__name__)


class SingleWriter:
    """Writes single=True products as they are made (in_memory=False).

    ``overwrite``: replace a file of the same name (a task that Dask runs
    again after losing its worker must be able to write its products again).
    """

    def __init__(self, output_dir: str | os.PathLike | None, *, overwrite: bool = False) -> None:
        self.overwrite = overwrite
        if output_dir is None:
            output_dir = tempfile.mkdtemp(prefix="resamplespec-single-")
            log.info("single products go to %s", output_dir)
        elif not isinstance(output_dir, (str, os.PathLike)):
            raise TypeError(f"output_dir must be a folder name, got {output_dir!r}")
        try:  # before any work: a folder that cannot take the products is said now
            self.folder = check_output_folder(output_dir)
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = f"cannot make {output_dir}: {exc.strerror}" if exc.strerror else exc
            raise type(exc)(f"output_dir: {reason}") from None

    def __call__(self, product: SpectralImage, source: Any) -> Path:
        stem = Path(source.path).stem if hasattr(source, "path") else (
            Path(source.meta.filename).stem if source.meta.filename else "input")
        name = f"_{product.name}" if product.name else ""
        path = self.folder / f"{stem}{name}_single_s2d.asdf"
        return write(product, path, overwrite=self.overwrite)

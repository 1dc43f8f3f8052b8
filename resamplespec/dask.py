"""Resampling on a Dask cluster: :func:`resample`.

One task per output slit (a slit group: one named slit across the exposures
of a multi-slit set, or all the inputs of a single-slit set), each running
the same chain as :func:`resamplespec.resample` on a worker
(:func:`resamplespec.pipeline.resample_group`).  Needs the optional extra
``dask`` (``pip install "resamplespec[dask]"``).

What travels: with ``in_memory=False`` and inputs given as file paths, the
client reads only the metadata of each file (to group the slits); a task
carries paths, slit indices and metadata, and the worker reads the arrays
from the files, which must therefore be readable at the same path on every
worker (a shared file system or object store mount).  With ``output_dir``
the workers also write the products there and only their paths come back.
A worker keeps the multi-slit files it reads open for its next tasks (a
few at a time), so that each file's YAML is parsed once per worker, not
once per slit.
Inputs given in memory are sent to the workers inside their tasks.
"""

from __future__ import annotations

import os
import re
from typing import Any

try:
    import distributed
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "resamplespec.dask needs dask.distributed, the optional extra 'dask': "
        "pip install \"resamplespec[dask]\""
    ) from exc

from .io import check_output_folder, close_open_files, write
from .options import ResampleOptions, validate_n_jobs
from .pipeline import SingleWriter, collect_outputs, resample_group, slit_groups

__all__ = ["resample"]


def resample(
    models: Any,
    *,
    client: distributed.Client,
    output_dir: str | os.PathLike | None = None,
    n_jobs: int = 1,
    **options: Any,
) -> Any:
    """:func:`resamplespec.resample` on a Dask cluster, one task per slit group.

    Parameters
    ----------
    models : as for :func:`resamplespec.resample`
        With ``in_memory=False``, give file paths: the workers read the
        arrays from them (the client reads only metadata).
    client : distributed.Client
        The cluster to run on.
    output_dir : str or path-like, optional
        A folder every worker can write to: each task writes its products
        there (resamplespec ASDF; ``<slit>_s2d.asdf``, or one
        ``<input>_<slit>_single_s2d.asdf`` per input with ``single=True``)
        and returns their paths.  Files of the same names are replaced, so
        that a task run again after a worker failure writes again.  Default:
        the products come back to the client.
    n_jobs : int
        Threads each task uses for its kernel passes (bands of the output);
        the cluster's workers are the main parallelism.
    **options
        The options of :func:`resamplespec.resample` (``pixfrac``,
        ``kernel``, ``single``, ``in_memory``, ``variance``,
        ``spectral_grid``, ``spectral_sampling``...).

    Returns
    -------
    SpectralImage, MultiSlitImage, list of SpectralImage, or list of Path
        What :func:`resamplespec.resample` returns for the same inputs and
        options, identical values; with ``output_dir``, the paths of the
        files written instead (one per output slit, or per input and slit
        with ``single=True``), in the same order (a single path for one
        single-slit product).

    Raises
    ------
    TypeError, ValueError
        A bad option (checked on the client before any task is sent), or
        the first error a task raised.

    Notes
    -----
    Dask runs a task again when its worker dies (up to the scheduler's
    ``distributed.scheduler.allowed-failures`` times): a task has no side
    effect but the files it writes, under names that do not depend on the
    attempt.  Failed tasks are not retried otherwise (``retries=0``): an
    error in the data is not transient.

    Examples
    --------
    >>> from distributed import Client                       # doctest: +SKIP
    >>> import resamplespec.dask
    >>> client = Client("tcp://scheduler:8786")              # doctest: +SKIP
    >>> paths = resamplespec.dask.resample(files, client=client, in_memory=False,
    ...                                    output_dir="/shared/s2d")  # doctest: +SKIP
    """
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a distributed.Client, got {client!r}")
    unknown = {"progress_bar"} & set(options)
    if unknown:
        raise TypeError("progress_bar is not an option of resamplespec.dask.resample: "
                        "follow the tasks with distributed.progress or the dashboard")
    settings = ResampleOptions.validated(**options)
    n_jobs = validate_n_jobs(n_jobs)
    if output_dir is not None and not isinstance(output_dir, (str, os.PathLike)):
        raise TypeError(f"output_dir must be a folder name, got {output_dir!r}")
    if output_dir is not None:
        try:  # as seen from here; workers on other machines may see it otherwise
            check_output_folder(output_dir)
        except OSError as exc:
            raise type(exc)(f"output_dir: {exc}") from None
    try:
        multi_slit, groups = slit_groups(models, settings)
    finally:
        close_open_files()  # opened for their metadata; the workers read the slits
    names = _file_names(groups) if output_dir is not None else [None] * len(groups)
    futures = [
        client.submit(_slit_task, images, settings, n_jobs=n_jobs, output_dir=output_dir,
                      file_name=name, pure=False)
        for images, name in zip(groups.values(), names, strict=True)
    ]
    try:
        per_group = client.gather(futures)
    finally:
        client.cancel(futures)
    written = output_dir is not None
    if written and not multi_slit and not settings.single:
        return per_group[0][0]
    return collect_outputs(per_group, multi_slit=multi_slit, single=settings.single,
                           written=written)


def _slit_task(images: list[Any], options: ResampleOptions, *, n_jobs: int,
               output_dir: str | os.PathLike | None, file_name: str | None) -> list[Any]:
    """One slit group on a worker: the products, or the paths they were written to."""
    if output_dir is None:
        return resample_group(images, options, n_jobs=n_jobs)
    writer = SingleWriter(output_dir, overwrite=True)
    if options.single:
        return resample_group(images, options, writer=writer, n_jobs=n_jobs)
    (product,) = resample_group(images, options, n_jobs=n_jobs)
    return [write(product, writer.folder / file_name, overwrite=True)]


def _file_names(groups: dict[Any, list[Any]]) -> list[str]:
    """A distinct file name per group, from its slit or source name."""
    names: list[str] = []
    for kind, value in groups:
        stem = "resampled" if kind == "input" else re.sub(r"[^A-Za-z0-9._+-]+", "_", value)
        name, k = f"{stem}_s2d.asdf", 1
        while name in names:
            k += 1
            name = f"{stem}-{k}_s2d.asdf"
        names.append(name)
    return names

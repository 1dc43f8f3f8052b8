"""Convert `resamplespec.datasets` dicts into JWST datamodels (dev only).

Needs ``stdatamodels`` and ``jwst`` (the reference environment); the library
itself never imports them. Used to run the reference ``ResampleSpecStep`` on
the synthetic datasets and to produce golden files.

- `to_slit_model(image)`          -> ``SlitModel``
- `to_image_model(image)`         -> ``ImageModel`` (MIRI LRS as JWST writes it)
- `to_multislit_model(slits)`     -> ``MultiSlitModel`` for one MOS exposure
- `to_container(models)`          -> ``ModelContainer``
- `run_resample_spec(models, **options)` -> output of ``ResampleSpecStep().run``
"""

from __future__ import annotations

import copy

import numpy as np
from stdatamodels.jwst import datamodels as dm

# slit attributes stored at the top level of a SlitModel
_SLIT_ATTRIBUTES = {
    "slit_name": "name",
    "slitlet_id": "slitlet_id",
    "source_id": "source_id",
    "source_name": "source_name",
    "source_alias": "source_alias",
    "source_type": "source_type",
    "stellarity": "stellarity",
    "shutter_state": "shutter_state",
    "source_xpos": "source_xpos",
    "source_ypos": "source_ypos",
    "source_ra": "source_ra",
    "source_dec": "source_dec",
    "slit_ymin": "slit_ymin",
    "slit_ymax": "slit_ymax",
    "xstart": "xstart",
    "ystart": "ystart",
    "xsize": "xsize",
    "ysize": "ysize",
}

_EXPOSURE = {
    "exposure_time": "exposure_time",
    "effective_exposure_time": "effective_exposure_time",
    "measurement_time": "measurement_time",
    "duration": "duration",
    "start_time": "start_time",
    "end_time": "end_time",
    "mid_time": "mid_time",
    "exp_type": "type",
}

_OBSERVATION = (
    "program_number",
    "observation_number",
    "visit_number",
    "visit_group",
    "sequence_id",
    "activity_id",
    "exposure_number",
)


def _set_exposure_meta(model, meta):
    """Exposure-level metadata (times, instrument, observation ids, file name)."""
    for key, attr in _EXPOSURE.items():
        if meta.get(key) is not None:
            setattr(model.meta.exposure, attr, meta[key])
    model.meta.instrument.name = meta["instrument"]
    model.meta.instrument.detector = meta["detector"]
    if meta.get("filter") is not None:
        model.meta.instrument.filter = meta["filter"]
    if meta.get("grating") is not None:
        model.meta.instrument.grating = meta["grating"]
    for key in _OBSERVATION:
        setattr(model.meta.observation, key, meta[key])
    model.meta.filename = meta["filename"]


def _set_image_meta(model, image):
    """Arrays, WCS, units, photometry and wcsinfo of one spectral image."""
    meta = image["meta"]
    for key in ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat"):
        setattr(model, key, np.array(image[key], copy=True))
    model.meta.wcs = copy.deepcopy(image["wcs"])
    model.meta.wcsinfo.dispersion_direction = int(meta["dispersion_direction"])
    if meta.get("s_region"):
        model.meta.wcsinfo.s_region = meta["s_region"]
    model.meta.bunit_data = meta["bunit_data"]
    model.meta.bunit_err = meta["bunit_err"]
    if meta.get("pixel_area_sr") is not None:
        model.meta.photometry.pixelarea_steradians = meta["pixel_area_sr"]
        model.meta.photometry.pixelarea_arcsecsq = meta["pixel_area_arcsec2"]


def _set_slit_attributes(model, meta):
    for key, attr in _SLIT_ATTRIBUTES.items():
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, (np.floating, np.integer)):
            value = value.item()
        setattr(model, attr, value)


def to_slit_model(image: dict) -> dm.SlitModel:
    """One spectral-image dict -> ``SlitModel`` (fixed slit, lamp, LRS)."""
    model = dm.SlitModel()
    _set_exposure_meta(model, image["meta"])
    _set_image_meta(model, image)
    _set_slit_attributes(model, image["meta"])
    return model


def to_image_model(image: dict) -> dm.ImageModel:
    """One spectral-image dict -> ``ImageModel`` (how JWST stores MIRI LRS cal data)."""
    model = dm.ImageModel()
    _set_exposure_meta(model, image["meta"])
    _set_image_meta(model, image)
    meta = image["meta"]
    if meta.get("source_xpos") is not None:
        model.source_xpos = meta["source_xpos"]
        model.source_ypos = meta["source_ypos"]
    return model


def to_multislit_model(slits: list[dict]) -> dm.MultiSlitModel:
    """The slits of one MOS exposure (same exposure meta) -> ``MultiSlitModel``."""
    model = dm.MultiSlitModel()
    _set_exposure_meta(model, slits[0]["meta"])
    for image in slits:
        slit = dm.SlitModel()
        _set_image_meta(slit, image)
        _set_slit_attributes(slit, image["meta"])
        model.slits.append(slit)
    return model


def to_container(models):
    """A list of datamodels -> ``jwst.datamodels.ModelContainer``."""
    from jwst.datamodels import ModelContainer

    return ModelContainer(list(models))


def run_resample_spec(models, **options):
    """Run ``ResampleSpecStep`` offline (no CRDS) on a model or a container."""
    import os
    import tempfile

    os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
    os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))
    from jwst.resample import ResampleSpecStep

    step = ResampleSpecStep(**options)
    return step.run(models)

"""Sphinx configuration of the resamplespec documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` from
the repository root, after ``pip install -e ".[docs]"``.  Every figure is
drawn during the build by the functions in ``docs/figures/`` (matplotlib's
plot directive); nothing here needs the network.
"""

import os
import sys
from pathlib import Path

import matplotlib

# figures are drawn off screen, whatever the machine's display
matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
# the figure functions import each other as ``figures.<module>``
sys.path.insert(0, str(DOCS))

import resamplespec  # noqa: E402

project = "resamplespec"
author = "resamplespec developers"
copyright = "resamplespec developers"
version = release = resamplespec.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    # Markdown for the files kept at the repository root (ARCHITECTURE.md,
    # CHANGES.md, benchmarks/README.md), included rather than copied
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "figures"]
root_doc = "index"
# a cross-reference to a Python name that does not exist is an error
nitpicky = True
nitpick_ignore_regex = [
    # types named in docstrings and hints that no page of ours documents
    # (no intersphinx: the build must not need the network)
    ("py:(class|meth|func|obj)", r"(numpy|np|astropy|gwcs|asdf|os|pathlib|collections|typing"
                 r"|concurrent|multiprocessing|tqdm|dask|distributed|stdatamodels)\..*"),
    # private names that docstrings mention for maintainers
    ("py:(class|func|meth|attr|obj)", r"(.*\.)?_[a-zA-Z].*"),
    ("py:class", r"(ndarray|array_like|array-like|optional|callable|path-like|Path"
                 r"|Any|Callable|Iterator|Iterable|Sequence|Mapping|NDArray|dtype)"),
]

# API pages: the docstrings are numpydoc; type hints stay in the signature
autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
# the Parameters sections give the types; signatures show names and defaults,
# one parameter a line when they are long
autodoc_typehints = "none"
maximum_signature_line_length = 88
autodoc_class_signature = "mixed"
# numpydoc renders the types of Parameters and Attributes as text (they are
# prose: "(ny, nx) array", "{'square', 'point'}"), and autodoc lists members
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# figures: PNG only, drawn at build time, no source links (the code is in
# docs/figures/, named under each figure)
plot_formats = [("png", 110)]
plot_html_show_formats = False
plot_html_show_source_link = False
plot_include_source = False
plot_rcparams = {"figure.dpi": 110, "font.size": 9, "legend.fontsize": 8,
                 "savefig.bbox": "tight"}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt"

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

html_theme = "pydata_sphinx_theme"
html_title = f"resamplespec {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# a left sidebar only where there are sibling pages to list (the API)
html_sidebars = {"*": [], "api/**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
html_static_path = []

# the CI build runs offline: no request leaves the machine
os.environ.setdefault("MPLBACKEND", "Agg")

"""Sphinx configuration of voxelize_cy's manual.

Build with ``pip install ".[docs]"`` and
``sphinx-build -W -b html docs docs/_build/html`` (warnings are errors, as in CI).
The API reference imports the installed package; optional dependencies that are
not installed (torch, PyMOL) are mocked so that their modules' pages still build.
"""

import importlib.util

import voxelize_cy

project = "voxelize_cy"
author = "voxelize_cy developers"
copyright = "2026, voxelize_cy developers"
version = release = voxelize_cy.__version__

extensions = [
    "myst_parser",            # the guides are Markdown, as the README they came from
    "numpydoc",               # our docstrings are numpy style
    "sphinx.ext.autodoc",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

myst_heading_anchors = 3
# Cython embeds each compiled function's signature as the first line of its
# docstring; autodoc reads it from there (autodoc_docstring_signature).
autodoc_docstring_signature = True
autodoc_member_order = "bysource"
# Types are in each docstring's Parameters section (numpydoc): signatures show
# names and defaults only, as numpy's and scikit-learn's manuals do.
autodoc_typehints = "none"
autodoc_mock_imports = [name for name in ("torch", "pymol", "pymol2")
                        if importlib.util.find_spec(name) is None]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"voxelize_cy {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
}

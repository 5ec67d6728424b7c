"""What a new user meets: the import from a source tree, the package's metadata."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import voxelize_cy as vc

ROOT = Path(__file__).resolve().parents[1]


def test_importing_from_an_unbuilt_source_tree_says_what_to_do(tmp_path):
    """``import voxelize_cy`` run in a clone where the extensions were not
    built in place: an ImportError that says how to get the installed one."""
    tree = tmp_path / "clone"
    shutil.copytree(ROOT / "voxelize_cy", tree / "voxelize_cy",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.c"))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    # (A developer's editable install adds a finder that would find the built
    # tree first; a user's plain install has none.)
    code = ("import sys\n"
            "sys.meta_path[:] = [f for f in sys.meta_path\n"
            "                    if 'editable' not in repr(f).lower()]\n"
            "import voxelize_cy\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: voxelize_cy is imported from its source tree")
    assert "outside the source tree" in last and "pip install -e ." in last


def test_metadata_matches_what_the_package_claims():
    from importlib import metadata

    meta = metadata.metadata("voxelize_cy")
    assert meta["Version"] == vc.__version__
    assert meta.get("License-Expression") == "MIT"
    claimed = {c.rsplit(":: ", 1)[1] for c in meta.get_all("Classifier")
               if c.startswith("Programming Language :: Python :: 3.")}
    assert claimed == {"3.9", "3.10", "3.11", "3.12", "3.13"}
    assert meta["Requires-Python"] == ">=3.9"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in claimed

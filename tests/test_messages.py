"""Errors that say what to do, with the original's exception types kept."""

import numpy as np
import pandas as pd
import pytest

import voxelize_cy as vc

ATOMS = pd.DataFrame({"element": ["C", "N", "ZN"], "x": [0.0, 1.0, -1.0],
                      "y": [0.0, 0.0, 0.0], "z": [0.0, 0.0, 0.0], "occupancy": [1.0, 1, 1]})


def params(channels=("C", "N", ".*"), radii=0.5):
    return vc.ImageParams(vc.Grid(9, 1.0), list(channels), radii)


def test_a_dtype_passed_as_the_third_argument():
    with pytest.raises(TypeError) as info:
        vc.image_from_atoms(ATOMS, params(), np.float32)
    message = str(info.value)
    assert "channel_cache must be a dict" in message
    assert "third positional argument" in message and "keyword" in message
    assert "dtype=" in message


def test_a_missing_radius_names_the_element_and_the_keys():
    with pytest.raises(KeyError) as info:
        vc.image_from_atoms(ATOMS, params(radii={"C": 1.7, "N": 1.55}))
    message = str(info.value)
    assert "'ZN'" in message and "['C', 'N']" in message and "'*'" in message
    assert "row 2" in message


def test_no_channel_lists_the_patterns():
    with pytest.raises(RuntimeError) as info:
        vc.image_from_atoms(ATOMS, params(channels=("C", "N")))
    message = str(info.value)
    assert message.startswith("element ZN didn't match any channels")
    assert "['C', 'N']" in message and "re.fullmatch" in message


def test_lower_case_elements_keep_the_original_matching():
    """The original matches patterns case-sensitively: 'c' is not carbon."""
    lower = ATOMS.assign(element=["c", "n", "zn"])
    img = vc.image_from_atoms(lower, params())
    assert img[0].sum() == 0 and img[1].sum() == 0
    assert img[2].sum() == pytest.approx(3.0)


def test_batch_errors_say_which_image():
    with pytest.raises(RuntimeError, match="image 1: element ZN didn't match"):
        vc.images_from_atoms([ATOMS.iloc[:2], ATOMS], params(channels=("C", "N")))

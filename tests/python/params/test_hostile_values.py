"""Values no face can use are refused by their coercer, in one line (issue 19)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from niimasker_core.errors import SettingsError
from niimasker_core.params.settings import make_settings


@pytest.mark.parametrize(
    "address", ["foo://127.0.0.1:1", "not an address", "tcp://host", ""]
)
def test_dask_addresses_that_cannot_connect(address):
    if address == "":
        assert make_settings(dask_scheduler=address).dask_scheduler is None
        return
    with pytest.raises(SettingsError, match="scheduler address"):
        make_settings(dask_scheduler=address)


@pytest.mark.parametrize(
    "address", ["local", "tcp://10.0.0.5:8786", "10.0.0.5:8786", "tls://[::1]:8786"]
)
def test_dask_addresses_kept(address):
    assert make_settings(dask_scheduler=address).dask_scheduler == address


def test_a_singular_target_affine():
    flat = [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    with pytest.raises(SettingsError, match="invertible"):
        make_settings(target_affine=flat)


@pytest.mark.parametrize("affine", [None, 3.0, [[3, 0, 0], [0, 3, 0], [0, 0, 3]]])
def test_target_shape_needs_a_4x4_affine(affine):
    with pytest.raises(SettingsError, match="needs a 4x4"):
        make_settings(target_shape=[5, 5, 5], target_affine=affine)


def test_objects_are_shown_by_their_type_in_one_line():
    img = nib.Nifti1Image(np.zeros((2, 2, 2), np.int16), np.eye(4))
    with pytest.raises(SettingsError) as info:
        make_settings(roi_file={"a": img})
    assert "<Nifti1Image>" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(SettingsError) as info:
        make_settings(mask_img=np.ones((3, 3, 3)))
    assert "<ndarray>" in str(info.value) and "\n" not in str(info.value)

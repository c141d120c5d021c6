"""Confounds aligned to the kept volumes: discard_scans and censoring applied once."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import run_options

from niimasker_core.confounds.alignment import align_confounds


def write_confounds(tmp_path, n=12):
    table = pd.DataFrame({"a": np.arange(n, dtype=float), "b": np.arange(n) ** 2.0})
    # high motion at volume 5 only: scrubbing with fd_threshold censors it
    table["framewise_displacement"] = np.where(np.arange(n) == 5, 2.0, 0.1)
    path = tmp_path / "conf.tsv"
    table.to_csv(path, sep="\t", index=False)
    return str(path)


def test_values_and_mask_start_at_the_first_kept_volume(tmp_path):
    path = write_confounds(tmp_path)
    settings = run_options(
        discard_scans=2, regressors=["a", "b"], fd_threshold=0.5, scrub=0
    )
    aligned = align_confounds(path, settings.confounds, 12, image="img.nii.gz")
    assert aligned.values.shape == (10, 2)
    kept = [2, 3, 4, 6, 7, 8, 9, 10, 11]  # volume 5 is censored
    # named columns are regressed as given (never demeaned), from the first kept volume
    np.testing.assert_allclose(aligned.values[:, 0], np.arange(2, 12))
    # volume 5 is censored: index 3 of the kept volumes 2..11
    assert 3 not in aligned.sample_mask and len(aligned.sample_mask) == 9
    assert aligned.censored == [5]
    assert list(aligned.volumes) == kept
    assert not aligned.interpolate and aligned.n_kept == 10


def test_interpolation_keeps_every_volume(tmp_path):
    path = write_confounds(tmp_path)
    settings = run_options(
        regressors=["a"], fd_threshold=0.5, scrub=0, output_volumes="interpolated"
    )
    aligned = align_confounds(path, settings.confounds, 12, image="img.nii.gz")
    assert aligned.interpolate and list(aligned.volumes) == list(range(12))


def test_nothing_censored_after_discarding_means_no_mask(tmp_path):
    path = write_confounds(tmp_path)
    settings = run_options(discard_scans=6, regressors=["a"], fd_threshold=0.5, scrub=0)
    aligned = align_confounds(path, settings.confounds, 12, image="img.nii.gz")
    assert aligned.sample_mask is None and aligned.censored == []


def test_no_confounds_file_keeps_the_volumes_after_discarding():
    aligned = align_confounds(
        None, run_options(discard_scans=3).confounds, 10, image="i"
    )
    assert aligned.values is None and list(aligned.volumes) == list(range(3, 10))

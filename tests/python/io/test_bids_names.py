"""BIDS derivative names: one function names every output of the BIDS layout."""

from __future__ import annotations

import pytest

from niimasker_core.io.bids import derivative_name, relmat_stat, source_entities
from niimasker_core.io.formats import OutputNames

SOURCE = (
    "sub-01_ses-2_task-rest_acq-mb_run-3_space-MNI152NLin2009cAsym_res-2"
    "_desc-preproc_bold.nii.gz"
)


def test_source_entities_keep_acquisition_space_and_resolution_not_desc():
    assert source_entities(SOURCE) == {
        "sub": "01",
        "ses": "2",
        "task": "rest",
        "acq": "mb",
        "run": "3",
        "space": "MNI152NLin2009cAsym",
        "res": "2",
    }
    assert "hemi" not in source_entities(
        "sub-01_task-rest_hemi-L_space-fsaverage5_bold.func.gii"
    )


def test_timeseries_coverage_and_sidecar_names_in_bids_order():
    entities = source_entities(SOURCE)
    folder = "sub-01/ses-2/func/"
    stem = "sub-01_ses-2_task-rest_acq-mb_run-3_space-MNI152NLin2009cAsym_atlas-pyhrf_res-2"
    assert derivative_name(entities, None, "pyhrf", "mean", "timeseries", ".tsv") == (
        f"{folder}{stem}_stat-mean_timeseries.tsv"
    )
    assert derivative_name(entities, None, "pyhrf", "coverage", "bold", ".tsv") == (
        f"{folder}{stem}_stat-coverage_bold.tsv"
    )
    # entities given in any order come out in BIDS order
    shuffled = dict(reversed(list(entities.items())))
    assert derivative_name(shuffled, None, "pyhrf", "mean", "timeseries", ".json") == (
        f"{folder}{stem}_stat-mean_timeseries.json"
    )


@pytest.mark.parametrize(
    ("kind", "stat"),
    [
        ("correlation", "pearsoncorrelation"),
        ("partial correlation", "partialcorrelation"),
        ("covariance", "covariance"),
        ("precision", "precision"),
        ("tangent", "tangent"),
    ],
)
def test_a_relmat_is_named_as_xcp_d_names_it(kind, stat):
    entities = {"sub": "01", "task": "loc", "run": "1"}
    name = derivative_name(
        entities, "MNI152NLin2009cAsym", "pyhrf", relmat_stat(kind), "relmat", ".tsv"
    )
    assert name == (
        "sub-01/func/sub-01_task-loc_run-1_space-MNI152NLin2009cAsym_atlas-pyhrf"
        f"_stat-{stat}_relmat.tsv"
    )
    names = OutputNames("ignored", tuple(entities.items()), "pyhrf")
    assert names.relmat(kind).endswith(f"_atlas-pyhrf_stat-{stat}_relmat.tsv")


def test_flat_names_are_the_seeds():
    names = OutputNames("sub-01_task-rest_bold_atlas-a")
    assert names.timeseries() == "sub-01_task-rest_bold_atlas-a_timeseries.tsv"
    assert names.coverage() == "sub-01_task-rest_bold_atlas-a_coverage.tsv"
    assert names.file_stem == "sub-01_task-rest_bold_atlas-a"


def test_surface_names_keep_space_and_density():
    entities = source_entities("sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii")
    assert derivative_name(entities, None, "gl", "mean", "timeseries", ".tsv") == (
        "sub-01/func/sub-01_task-rest_space-fsLR_atlas-gl_den-91k_stat-mean_timeseries.tsv"
    )

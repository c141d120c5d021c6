"""nilearn atlas queries: parsing, mapping onto nilearn 0.14 fetchers, and the fetch path.

Nothing here touches the network: fetchers are stubs passed as an explicit
argument, or nilearn's real fetchers reading a local data folder laid out as
nilearn lays it out after a download.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn import datasets
from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker

from niimasker_core import nilearn_atlas
from niimasker_core.errors import AtlasFetchError, AtlasQueryError
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main
from niimasker_core.rois.atlas_catalogue import ATLASES, parse_query
from niimasker_core.rois.atlas_query import fetch_query
from niimasker_core.rois.registry import is_query

SEED_QUERIES = {
    "nilearn:aal:SPM12": ("fetch_atlas_aal", {"version": "SPM12"}),
    "nilearn:aal:spm5": ("fetch_atlas_aal", {"version": "SPM5"}),
    "nilearn:basc:sym-20": (
        "fetch_atlas_basc_multiscale_2015",
        {"version": "sym", "resolution": 20},
    ),
    "nilearn:basc:asym-444": (
        "fetch_atlas_basc_multiscale_2015",
        {"version": "asym", "resolution": 444},
    ),
    "nilearn:destrieux:lateralized": (
        "fetch_atlas_destrieux_2009",
        {"lateralized": True},
    ),
    "nilearn:destrieux:nonlateralized": (
        "fetch_atlas_destrieux_2009",
        {"lateralized": False},
    ),
    "nilearn:schaefer:400-17-2": (
        "fetch_atlas_schaefer_2018",
        {"n_rois": 400, "yeo_networks": 17, "resolution_mm": 2},
    ),
    "nilearn:schaefer:100": (
        "fetch_atlas_schaefer_2018",
        {"n_rois": 100, "yeo_networks": 7, "resolution_mm": 1},
    ),
    "nilearn:talairach:ba": ("fetch_atlas_talairach", {"level_name": "ba"}),
    "nilearn:yeo:thick_7": (
        "fetch_atlas_yeo_2011",
        {"thickness": "thick", "n_networks": 7},
    ),
    "nilearn:yeo:thin_17": (
        "fetch_atlas_yeo_2011",
        {"thickness": "thin", "n_networks": 17},
    ),
    "nilearn:harvard_oxford:cort-prob-2mm": (
        "fetch_atlas_harvard_oxford",
        {"atlas_name": "cort-prob-2mm"},
    ),
    "nilearn:harvard-oxford:sub-maxprob-thr25-1mm": (
        "fetch_atlas_harvard_oxford",
        {"atlas_name": "sub-maxprob-thr25-1mm"},
    ),
    "nilearn:juelich:prob-1mm": ("fetch_atlas_juelich", {"atlas_name": "prob-1mm"}),
    "nilearn:difumo:1024-3": (
        "fetch_atlas_difumo",
        {"dimension": 1024, "resolution_mm": 3},
    ),
    "nilearn:difumo:64": ("fetch_atlas_difumo", {"dimension": 64, "resolution_mm": 2}),
    "nilearn:msdl": ("fetch_atlas_msdl", {}),
    "NILEARN:Pauli:deterministic": (
        "fetch_atlas_pauli_2017",
        {"atlas_type": "deterministic"},
    ),
    "nilearn:smith:bm70": (
        "fetch_atlas_smith_2009",
        {"dimension": 70, "resting": False},
    ),
}


@pytest.mark.parametrize("query", list(SEED_QUERIES))
def test_queries_map_onto_nilearn_fetchers(query):
    fetcher, expected = SEED_QUERIES[query]
    spec, kwargs = parse_query(query)
    assert spec.fetcher == fetcher
    assert kwargs == expected
    assert is_query(query)


@pytest.mark.parametrize("name", sorted(ATLASES))
def test_every_atlas_default_binds_to_the_installed_fetcher(name):
    spec = ATLASES[name]
    fetcher = getattr(datasets, spec.fetcher)
    query = f"nilearn:{name}" + (f":{spec.default}" if spec.default else ":ba")
    if name == "msdl":
        query = "nilearn:msdl"
    _, kwargs = parse_query(query)
    inspect.signature(fetcher).bind(data_dir=None, verbose=0, **kwargs)


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("nilearn:", "not a valid atlas query"),
        (
            "nilearn:nope:1",
            r"(?s)unknown atlas 'nope'.*nilearn:schaefer:.*nilearn:difumo:",
        ),
        ("nilearn:basc:sym-21", r"number of networks must be one of 7, 12, 20"),
        ("nilearn:schaefer:400-9", r"number of networks must be one of 7, 17"),
        ("nilearn:yeo:thick", r"expected 2-2 parts"),
        ("nilearn:talairach", r"needs parameters: nilearn:talairach:hemisphere"),
        ("nilearn:msdl:big", "msdl takes no parameters"),
        ("nilearn:harvard_oxford:cort-3mm", r"cort\|cortl\|sub"),
    ],
)
def test_malformed_queries_list_valid_names_and_parameters(query, match):
    with pytest.raises(AtlasQueryError, match=match):
        parse_query(query)


def stub(bunch):
    calls = []

    def fetcher(**kwargs):
        calls.append(kwargs)
        return bunch

    fetcher.calls = calls
    return fetcher


def test_deterministic_atlas_uses_its_lut_without_background(tmp_path, affine):
    path = tmp_path / "yeo.nii.gz"
    nib.Nifti1Image(
        np.array([0, 1, 2, 3] * 126, np.int16).reshape(7, 8, 9), affine
    ).to_filename(path)
    lut = pd.DataFrame(
        {
            "index": [0, 1, 2, 3, 4],
            "name": ["Background", "Vis", "SomMot", "DorsAttn", "Limbic"],
        }
    )
    fetcher = stub(
        {
            "maps": str(path),
            "lut": lut,
            "labels": lut.name.tolist(),
            "atlas_type": "deterministic",
        }
    )
    atlas = fetch_query(
        "nilearn:yeo:thin_7", str(tmp_path), fetchers={"fetch_atlas_yeo_2011": fetcher}
    )
    assert fetcher.calls == [
        {"data_dir": str(tmp_path), "verbose": 0, "thickness": "thin", "n_networks": 7}
    ]
    assert atlas.to_dict() == {
        "query": "nilearn:yeo:thin_7",
        "atlas": "yeo",
        "image": str(path),
        "kind": "labels",
        "labels": {
            "index": [1, 2, 3, 4],
            "name": ["Vis", "SomMot", "DorsAttn", "Limbic"],
        },
    }


def test_in_memory_probabilistic_atlas_is_saved_and_background_dropped(
    tmp_path, affine
):
    maps = nib.Nifti1Image(
        np.random.default_rng(0).random((7, 8, 9, 3)).astype(np.float32), affine
    )
    names = ["Background", "Frontal Pole", "Insular Cortex", "Superior Frontal Gyrus"]
    fetcher = stub({"maps": maps, "labels": names, "atlas_type": "probabilistic"})
    atlas = fetch_query(
        "nilearn:harvard_oxford:cort-prob-2mm",
        str(tmp_path),
        fetchers={"fetch_atlas_harvard_oxford": fetcher},
    )
    assert atlas.kind == "maps" and atlas.index == [1, 2, 3] and atlas.name == names[1:]
    assert atlas.image.startswith(str(tmp_path / "niimasker_atlases"))
    np.testing.assert_array_equal(
        np.asanyarray(nib.load(atlas.image).dataobj), maps.get_fdata()
    )


def test_dataframe_labels_of_difumo(tmp_path, affine):
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(np.ones((7, 8, 9, 2), np.float32), affine).to_filename(path)
    labels = pd.DataFrame(
        {"component": [1, 2], "difumo_names": ["Cuneus", "Calcarine"]}
    )
    atlas = fetch_query(
        "nilearn:difumo:64-2",
        fetchers={
            "fetch_atlas_difumo": stub(
                {"maps": str(path), "labels": labels, "atlas_type": "probabilistic"}
            )
        },
    )
    assert (atlas.kind, atlas.name) == ("maps", ["Cuneus", "Calcarine"])


def test_fetch_failure_is_an_atlas_fetch_error():
    def offline(**kwargs):
        raise OSError("Temporary failure in name resolution")

    with pytest.raises(
        AtlasFetchError, match=r"fetch_atlas_msdl.*name resolution.*data_dir"
    ):
        fetch_query("nilearn:msdl", fetchers={"fetch_atlas_msdl": offline})


# --- nilearn's real fetchers on a local data folder ---------------------------------


def fake_msdl(root, affine, rng):
    folder = root / "msdl_atlas" / "MSDL_rois"
    folder.mkdir(parents=True)
    grid = np.indices((7, 8, 9)).transpose(1, 2, 3, 0)
    centres = [(1, 2, 2), (5, 2, 3), (3, 6, 6)]
    maps = np.stack([np.exp(-((grid - c) ** 2).sum(-1) / 4.0) for c in centres], -1)
    nib.Nifti1Image(maps.astype(np.float32), affine).to_filename(
        folder / "msdl_rois.nii"
    )
    pd.DataFrame(
        {
            "x": [0, 1, 2],
            "y": [0, 1, 2],
            "z": [0, 1, 2],
            "name": ["L Aud", "R Aud", " Striate"],
            "net name": ["Aud", "Aud", "Striate"],
        }
    ).to_csv(folder / "msdl_rois_labels.csv", index=False)
    return folder / "msdl_rois.nii"


def fake_talairach(root, affine, rng):
    folder = root / "talairach_atlas"
    folder.mkdir(parents=True)
    data = rng.integers(0, 4, (7, 8, 9)).astype(
        np.int32
    )  # label 4 ("Lobe D") is absent
    nib.Nifti1Image(data, affine).to_filename(folder / "lobe.nii.gz")
    (folder / "lobe-labels.json").write_text(
        json.dumps(["Background", "A", "B", "C", "D"])
    )
    return folder / "lobe.nii.gz"


def test_real_fetchers_read_a_local_data_dir(tmp_path, affine, rng):
    msdl = fake_msdl(tmp_path, affine, rng)
    fake_talairach(tmp_path, affine, rng)
    got = nilearn_atlas("nilearn:msdl", data_dir=str(tmp_path))
    assert got == {
        "query": "nilearn:msdl",
        "atlas": "msdl",
        "image": str(msdl),
        "kind": "maps",
        "labels": {"index": [1, 2, 3], "name": ["L Aud", "R Aud", "Striate"]},
    }
    lobes = nilearn_atlas("nilearn:talairach:lobe", data_dir=str(tmp_path))
    assert lobes["kind"] == "labels" and lobes["labels"] == {
        "index": [1, 2, 3, 4],
        "name": ["A", "B", "C", "D"],
    }


def test_query_extracts_like_nilearn_maskers(
    tmp_path, affine, rng, bold_file, monkeypatch
):
    monkeypatch.setenv("NILEARN_DATA", str(tmp_path))
    msdl = fake_msdl(tmp_path, affine, rng)
    lobes = fake_talairach(tmp_path, affine, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_maps = NiftiMapsMasker(str(msdl)).fit_transform(str(bold_file))
        expected_labels = NiftiLabelsMasker(str(lobes)).fit_transform(str(bold_file))
    out = extract_timeseries(
        [str(bold_file)], "nilearn:msdl", output_dir=str(tmp_path / "o1")
    )
    assert out.timeseries[0].columns == ["L Aud", "R Aud", "Striate"]
    np.testing.assert_allclose(
        out.timeseries[0].data.to_numpy(), expected_maps, rtol=1e-4, atol=4e-4
    )
    assert out.parameters["roi"]["query"] == "nilearn:msdl"
    out = extract_timeseries([str(bold_file)], "nilearn:talairach:lobe")
    got = out.timeseries[0].data.to_numpy()
    assert out.timeseries[0].columns == ["A", "B", "C", "D"]
    np.testing.assert_allclose(got[:, :3], expected_labels, rtol=1e-6)
    assert np.isnan(got[:, 3]).all() and out.timeseries[0].sidecar["EmptyRegions"] == [
        "D"
    ]


def test_juelich_in_memory_labels_are_saved_not_its_unmerged_file(tmp_path, affine):
    unmerged = tmp_path / "Juelich-maxprob-thr25-2mm.nii.gz"
    nib.Nifti1Image(
        np.arange(504, dtype=np.int16).reshape(7, 8, 9) % 9, affine
    ).to_filename(unmerged)
    merged = nib.Nifti1Image(
        np.arange(504, dtype=np.int16).reshape(7, 8, 9) % 3, affine
    )
    bunch = {
        "maps": merged,
        "filename": str(unmerged),
        "labels": ["Background", "a", "b"],
        "atlas_type": "deterministic",
    }
    fetchers = {
        "fetch_atlas_juelich": stub(bunch),
        "fetch_atlas_harvard_oxford": stub(bunch),
    }
    atlas = fetch_query(
        "nilearn:juelich:maxprob-thr25-2mm", str(tmp_path), fetchers=fetchers
    )
    assert atlas.image != str(unmerged)
    np.testing.assert_array_equal(
        np.asanyarray(nib.load(atlas.image).dataobj), merged.dataobj
    )
    assert (atlas.index, atlas.name) == ([1, 2], ["a", "b"])
    saved = Path(atlas.image).stat().st_mtime_ns
    again = fetch_query(
        "nilearn:juelich:maxprob-thr25-2mm", str(tmp_path), fetchers=fetchers
    )
    assert again.image == atlas.image and Path(again.image).stat().st_mtime_ns == saved
    ho = fetch_query(
        "nilearn:harvard_oxford:cort-maxprob-thr25-2mm",
        str(tmp_path),
        fetchers=fetchers,
    )
    assert ho.image == str(unmerged)  # Harvard-Oxford's file is the atlas itself


def test_nilearn_atlas_is_public_with_the_agreed_signature():
    import niimasker_core

    assert "nilearn_atlas" in niimasker_core.__all__
    assert list(inspect.signature(niimasker_core.nilearn_atlas).parameters) == [
        "query",
        "data_dir",
    ]
    with pytest.raises(AtlasQueryError, match="unknown atlas"):
        niimasker_core.nilearn_atlas("nilearn:nope")


def test_data_dir_reaches_the_fetcher_from_the_command(
    tmp_path, affine, rng, bold_file, monkeypatch
):
    atlases = tmp_path / "atlases"
    atlases.mkdir()
    monkeypatch.setenv(
        "NILEARN_DATA", str(tmp_path / "empty")
    )  # not where the atlas is
    fake_talairach(atlases, affine, rng)
    out_dir = tmp_path / "out"
    code = main(
        [
            str(out_dir),
            "-i",
            str(bold_file),
            "-r",
            "nilearn:talairach:lobe",
            "--data_dir",
            str(atlases),
        ]
    )
    assert code == 0
    table = pd.read_csv(next(out_dir.glob("*_timeseries.tsv")), sep="\t")
    assert list(table.columns) == ["A", "B", "C", "D"]
    out = extract_timeseries(
        [str(bold_file)], "nilearn:talairach:lobe", data_dir=str(atlases)
    )
    assert out.parameters["parameters"]["data_dir"] == str(atlases)

"""One declaration per parameter: every interface exposes exactly the declared names."""

from __future__ import annotations

import dataclasses
import inspect
import json
import warnings

import nibabel as nib
import numpy as np
import pytest

from niimasker_core import errors
from niimasker_core.faces import api
from niimasker_core.faces.cli import build_parser, main
from niimasker_core.params import config
from niimasker_core.params.declarations import PARAMETER_NAMES, PARAMETERS
from niimasker_core.params.settings import Settings, make_settings

FACES = {"config", "progress", "command"}  # keywords of the API that are not parameters
COMMAND_ONLY = {"help", "version", "config", "dry_run", "regressor_names"}


def test_argparse_dests_are_the_declared_names():
    dests = {action.dest for action in build_parser()._actions}
    assert dests - COMMAND_ONLY == set(PARAMETER_NAMES)


def test_config_keys_are_the_declared_names():
    values = {p.name: p.default for p in PARAMETERS if p.default not in (None, ())}
    assert config.load_config(values) == values  # every declared key is accepted
    assert config._KNOWN == set(PARAMETER_NAMES)


@pytest.mark.parametrize("function", [api.extract_timeseries, api.plan_extraction])
def test_api_keywords_are_the_declared_names_and_defaults(function):
    signature = inspect.signature(function)
    names = [n for n in signature.parameters if n not in FACES]
    assert names == list(PARAMETER_NAMES)
    for param in PARAMETERS:
        assert signature.parameters[param.name].default == param.default, param.name


def test_settings_fields_are_the_declared_names_and_types():
    """Settings is written out for readers and type checkers: it must follow the table."""
    fields = dataclasses.fields(Settings)
    assert [f.name for f in fields] == list(PARAMETER_NAMES)
    assert [f.type for f in fields] == [p.annotation for p in PARAMETERS]
    # defaults live in the declarations only: a Settings is built by make_settings
    assert all(f.default is dataclasses.MISSING for f in fields)
    defaults = make_settings()
    assert [getattr(defaults, n) for n in PARAMETER_NAMES] == [
        p.coerce(p.name, p.default) for p in PARAMETERS
    ]


def test_sidecar_block_is_the_recorded_declarations(tmp_path, bold_file, atlas_file):
    result = api.extract_timeseries(str(bold_file), str(atlas_file), t_r=2.0)
    block = result.timeseries[0].sidecar["Cleaning"]
    assert list(block) == [p.name for p in PARAMETERS if p.recorded]
    assert block["t_r"] == 2.0


def test_input_files_has_one_default_everywhere():
    declared = next(p.default for p in PARAMETERS if p.name == "input_files")
    signature = inspect.signature(api.extract_timeseries)
    assert signature.parameters["input_files"].default == declared
    assert make_settings().input_files == declared is None  # None: not set, as in R


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--allow_overlap"], True),
        (["--allow_overlap", "false"], False),
        (["--allow_overlap", "TRUE"], True),
        (["--allow_overlap=false"], False),
        ([], None),
    ],
)
def test_allow_overlap_can_be_false_on_the_command_line(argv, expected):
    args = vars(build_parser().parse_args(["out", *argv]))
    assert args.get("allow_overlap") == expected


def test_bare_flag_before_the_output_folder_is_true(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    argv = ["--detrend", str(out), "-i", str(bold_file), "-r", str(atlas_file)]
    assert main(argv) == 0
    sidecar = json.loads((out / "sub-01_task-rest_bold_timeseries.json").read_text())
    assert sidecar["Cleaning"]["detrend"] is True


def test_allow_overlap_false_reaches_the_maps_overlap_check(
    capsys, tmp_path, bold_file, affine
):
    grid = np.indices((7, 8, 9)).transpose(1, 2, 3, 0)
    maps = np.stack(
        [np.exp(-((grid - c) ** 2).sum(-1) / 5.0) for c in [(2, 2, 2), (3, 3, 3)]], -1
    )
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps.astype(np.float32), affine).to_filename(path)
    argv = [str(tmp_path / "o"), "-i", str(bold_file), "-r", str(path)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--allow_overlap", "false"]) == 2
    assert "overlap" in capsys.readouterr().err


def test_output_dir_is_a_config_key(tmp_path, bold_file, atlas_file):
    out = tmp_path / "from_config"
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"output_dir": str(out), "roi_file": str(atlas_file)}))
    assert main(["-i", str(bold_file), "-c", str(cfg)]) == 0
    assert (out / "sub-01_task-rest_bold_timeseries.tsv").is_file()
    result = api.extract_timeseries(str(bold_file), config={"roi_file": str(atlas_file),
                                    "output_dir": str(tmp_path / "api")})  # fmt: skip
    assert result.output_dir == str(tmp_path / "api")
    assert (tmp_path / "api" / "sub-01_task-rest_bold_timeseries.tsv").is_file()


def test_command_without_output_folder_is_one_usage_line(capsys, bold_file):
    with pytest.raises(SystemExit) as exit_info:
        main(["-i", str(bold_file), "-r", "atlas.nii.gz"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "output folder is required" in err[0]


def test_explicit_default_is_given_and_omitted_is_not(bold_file):
    with pytest.warns(UserWarning, match=r"overrides: 'detrend' \(given False"):
        api.plan_extraction(str(bold_file), detrend=False, config={"detrend": True})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api.plan_extraction(str(bold_file), config={"detrend": True})
        api.plan_extraction(str(bold_file), t_r=None, config={"t_r": 2})  # None: unset


def test_misspelled_config_key_suggests_one_name():
    with pytest.raises(errors.ConfigError) as info:
        config.load_config({"detrnd": True})
    message = str(info.value)
    assert "did you mean 'detrend'?" in message
    assert "\n" not in message and "smoothing_fwhm" not in message


def test_misspelled_keyword_suggests_one_name(bold_file):
    with pytest.raises(errors.SettingsError, match=r"detrnd \(did you mean 'detrend'"):
        api.extract_timeseries(str(bold_file), "atlas.nii.gz", detrnd=True)


def test_misspelled_flag_is_one_line_with_a_suggestion(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path), "-i", "x.nii.gz", "--detrnd"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "'--detrnd'" in err[0] and "did you mean '--detrend'?" in err[0]


@pytest.fixture
def two_broken_images(tmp_path, rng, affine):
    paths = []
    for n in (1, 2):
        path = tmp_path / f"sub-0{n}_bold.nii.gz"
        # NaN inside every region: nan_policy 'error' refuses the image
        nib.Nifti1Image(np.full((7, 8, 9, 5), np.nan, np.float32), affine).to_filename(
            path
        )
        paths.append(str(path))
    return paths


def test_every_failure_is_printed_when_every_image_fails(
    capsys, tmp_path, two_broken_images, atlas_file
):
    code = main([str(tmp_path / "o"), "-i", *two_broken_images, "-r", str(atlas_file)])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    for line, image in zip(lines, two_broken_images):
        assert line.startswith("InputFileError: ") and image in line


def test_api_error_lists_every_failure(two_broken_images, atlas_file):
    with pytest.raises(errors.InputFileError) as info:
        api.extract_timeseries(two_broken_images, str(atlas_file))
    message = str(info.value)
    assert message.startswith("All 2 images failed:")
    assert all(image in message for image in two_broken_images)


def test_too_many_discarded_scans_is_its_own_class(bold_file, atlas_file):
    with pytest.raises(errors.TooFewVolumesError, match="'discard_scans' is 99"):
        api.extract_timeseries(str(bold_file), str(atlas_file), discard_scans=99)
    assert issubclass(errors.TooFewVolumesError, errors.InputFileError)
    assert issubclass(errors.TooFewVolumesError, errors.ConfoundsError)
    assert issubclass(errors.TooFewVolumesError, errors.CleaningError)
    assert issubclass(errors.MissingRepetitionTimeError, errors.CleaningError)
    assert issubclass(errors.AromaImageError, errors.ConfoundsError)


@pytest.mark.parametrize("function", [api.extract_timeseries, api.plan_extraction])
def test_help_documents_every_parameter_from_its_declaration(function):
    doc = inspect.getdoc(function)
    assert "{parameters}" not in doc
    for param in PARAMETERS:
        assert f"\n{param.name} : " in doc, param.name
        first_words = " ".join(param.help.split()[:4])
        assert first_words in " ".join(doc.split()), param.name


def test_room_options_are_declared_parameters_of_their_declared_types():
    """Each room's option objects repeat names and types of the table: keep them equal."""
    from niimasker_core.params import options

    declared = {p.name: p for p in PARAMETERS}
    # given in another form than the parameter's: translated in RunOptions.from_settings
    translated = {
        ("CleaningOptions", "standardize"),  # the method: True is 'zscore'
        ("VoxelOptions", "mask_img"),  # one mask (per-set masks need a roi_file)
        ("VoxelOptions", "output_format"),  # resolved: 'nifti' by default
    }
    extras = {("CleaningOptions", "clean_kwargs")}  # the maskers' clean_args
    classes = [
        options.CleaningOptions,
        options.ConfoundOptions,
        options.ExtractionOptions,
        options.RoiOptions,
        options.VoxelOptions,
    ]
    for cls in classes:
        for field in dataclasses.fields(cls):
            key = (cls.__name__, field.name)
            if key in extras:
                continue
            assert field.name in declared, key
            if key not in translated:
                assert field.type == declared[field.name].annotation, key
    built = options.RunOptions.from_settings(make_settings(standardize=True))
    assert built.cleaning.standardize == "zscore"
    assert built.voxels.output_format == "nifti"

"""Make the example dataset shipped in inst/extdata (fixed seeds, a few MB).

Layout (fMRIPrep-like)::

    inst/extdata/atlas-synthetic12_dseg.nii.gz   12-region atlas on the image grid
    inst/extdata/atlas-synthetic12_dseg.tsv      BIDS look-up table (index, name)
    inst/extdata/fmriprep/sub-0N/func/
        sub-0N_task-rest_space-MNI305_desc-preproc_bold.nii.gz (+ .json, TR 2 s)
        sub-0N_task-rest_space-MNI305_desc-brain_mask.nii.gz
        sub-0N_task-rest_desc-confounds_timeseries.tsv (+ .json: CompCor metadata)

Usage: python scripts/make_example_data.py [OUT_DIR]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from synthetic_fmri import write_dataset

SPACE = "space-MNI305"


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "inst/extdata")
    for n, seed in ((1, 101), (2, 202)):
        sub = f"sub-{n:02d}"
        func = out / "fmriprep" / sub / "func"
        paths = write_dataset(
            func,
            shape=(16, 20, 16),
            n_volumes=80,
            n_regions=12,
            voxel_size=4.0,
            seed=seed,
            atlas_seed=12,
            stem=f"{sub}_task-rest_{SPACE}_desc-preproc_bold",
            compresslevel=9,
        )
        confounds = func / f"{sub}_task-rest_desc-confounds_timeseries.tsv"
        paths["confounds"].rename(confounds)
        paths["confounds_json"].rename(confounds.with_suffix(".json"))
        paths["mask"].rename(func / f"{sub}_task-rest_{SPACE}_desc-brain_mask.nii.gz")
        for role in ("atlas", "labels"):
            target = out / paths[role].name
            if n == 1:
                shutil.move(paths[role], target)
            else:
                paths[role].unlink()
    for path in sorted(out.rglob("*")):
        if path.is_file():
            print(f"{path.stat().st_size:>9}  {path}")


if __name__ == "__main__":
    main()

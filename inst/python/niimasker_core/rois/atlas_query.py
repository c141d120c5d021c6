"""``nilearn:<atlas>[:<parameters>]`` queries, mapped onto nilearn 0.14's atlas fetchers.

The seed's spellings are kept (``nilearn:yeo:thick_7``, ``nilearn:basc:sym-20``,
``nilearn:schaefer:400-17-2``, ``nilearn:aal:SPM12``,
``nilearn:destrieux:lateralized``, ``nilearn:talairach:ba``) and the
probabilistic and other atlases nilearn 0.14 fetches are added
(``harvard_oxford``, ``juelich``, ``difumo``, ``msdl``, ``pauli``, ``smith``).
Parsing never touches the network; :func:`fetch_query` calls the fetcher,
which downloads into nilearn's data folder (or ``data_dir``) once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import pandas as pd

from ..errors import AtlasFetchError, AtlasQueryError
from .base import GridCachedSource, RoiRequest, RoiSource

__all__ = [
    "ATLASES",
    "PREFIX",
    "AtlasSpec",
    "QueriedAtlas",
    "ResolvedAtlas",
    "fetch_query",
    "is_query",
    "load",
    "parse_query",
]

PREFIX = "nilearn:"

_BASC_SCALES = (7, 12, 20, 36, 64, 122, 197, 325, 444)
_SCHAEFER_ROIS = (100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)
_HARVARD_OXFORD = tuple(
    f"{part}-{kind}-{res}"
    for part in ("cort", "cortl", "sub")
    for kind in ("maxprob-thr0", "maxprob-thr25", "maxprob-thr50", "prob")
    for res in ("1mm", "2mm")
)
_JUELICH = tuple(
    f"{kind}-{res}"
    for kind in ("maxprob-thr0", "maxprob-thr25", "maxprob-thr50", "prob")
    for res in ("1mm", "2mm")
)


@dataclass(frozen=True)
class AtlasSpec:
    """One queryable atlas: its nilearn fetcher and how its parameters are spelled."""

    name: str
    fetcher: str
    syntax: str  # parameter grammar shown in error messages
    default: str  # parameters used when the query gives none ("" = none needed)
    parse: Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class ResolvedAtlas:
    """A fetched atlas, ready to extract from."""

    query: str
    atlas: str
    image: str
    kind: str  # "labels" or "maps"
    index: list[int]
    name: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return the plain dict of :func:`niimasker_core.faces.api.nilearn_atlas`."""
        return {
            "query": self.query,
            "atlas": self.atlas,
            "image": self.image,
            "kind": self.kind,
            "labels": {"index": list(self.index), "name": list(self.name)},
        }


class _Bad(ValueError):
    """A parameter value outside its allowed set (turned into AtlasQueryError)."""


def _pick(value: str, allowed: tuple, what: str) -> Any:
    for option in allowed:
        if value.lower() == str(option).lower():
            return option
    raise _Bad(f"{what} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _parts(params: str, n_min: int, n_max: int) -> list[str]:
    parts = re.split(r"[-_]", params)
    if not n_min <= len(parts) <= n_max:
        raise _Bad(f"expected {n_min}-{n_max} parts separated by '-', got {params!r}")
    return parts


def _aal(p: str) -> dict[str, Any]:
    return {"version": _pick(p, ("SPM5", "SPM8", "SPM12", "3v2"), "version")}


def _basc(p: str) -> dict[str, Any]:
    version, scale = _parts(p, 2, 2)
    return {
        "version": _pick(version, ("sym", "asym"), "version"),
        "resolution": _pick(scale, _BASC_SCALES, "number of networks"),
    }


def _destrieux(p: str) -> dict[str, Any]:
    return {
        "lateralized": _pick(p, ("lateralized", "nonlateralized"), "side")
        == "lateralized"
    }


def _schaefer(p: str) -> dict[str, Any]:
    parts = _parts(p, 1, 3)
    parts += ["7", "1"][len(parts) - 1 :]  # defaults for the parts left out
    return {
        "n_rois": _pick(parts[0], _SCHAEFER_ROIS, "number of regions"),
        "yeo_networks": _pick(parts[1], (7, 17), "number of networks"),
        "resolution_mm": _pick(parts[2], (1, 2), "resolution in mm"),
    }


def _talairach(p: str) -> dict[str, Any]:
    return {
        "level_name": _pick(p, ("hemisphere", "lobe", "gyrus", "tissue", "ba"), "level")
    }


def _yeo(p: str) -> dict[str, Any]:
    thickness, networks = _parts(p, 2, 2)
    return {
        "thickness": _pick(thickness, ("thin", "thick"), "thickness"),
        "n_networks": _pick(networks, (7, 17), "number of networks"),
    }


def _harvard_oxford(p: str) -> dict[str, Any]:
    return {"atlas_name": _pick(p, _HARVARD_OXFORD, "atlas name")}


def _juelich(p: str) -> dict[str, Any]:
    return {"atlas_name": _pick(p, _JUELICH, "atlas name")}


def _difumo(p: str) -> dict[str, Any]:
    parts = _parts(p, 1, 2)
    parts += ["2"][len(parts) - 1 :]  # default resolution 2 mm
    return {
        "dimension": _pick(parts[0], (64, 128, 256, 512, 1024), "dimension"),
        "resolution_mm": _pick(parts[1], (2, 3), "resolution in mm"),
    }


def _msdl(p: str) -> dict[str, Any]:
    if p:
        raise _Bad(f"msdl takes no parameters; got {p!r}")
    return {}


def _pauli(p: str) -> dict[str, Any]:
    return {"atlas_type": _pick(p, ("probabilistic", "deterministic"), "type")}


def _smith(p: str) -> dict[str, Any]:
    match = re.fullmatch(r"(rsn|bm)(10|20|70)", p.lower())
    if match is None:
        raise _Bad(f"expected rsn10, rsn20, rsn70, bm10, bm20 or bm70; got {p!r}")
    return {"resting": match.group(1) == "rsn", "dimension": int(match.group(2))}


ATLASES: dict[str, AtlasSpec] = {
    spec.name: spec
    for spec in (
        AtlasSpec("aal", "fetch_atlas_aal", "SPM5 | SPM8 | SPM12 | 3v2", "SPM12", _aal),
        AtlasSpec(
            "basc",
            "fetch_atlas_basc_multiscale_2015",
            "<sym|asym>-<" + "|".join(map(str, _BASC_SCALES)) + ">",
            "sym-7",
            _basc,
        ),
        AtlasSpec(
            "destrieux",
            "fetch_atlas_destrieux_2009",
            "lateralized | nonlateralized",
            "lateralized",
            _destrieux,
        ),
        AtlasSpec(
            "schaefer",
            "fetch_atlas_schaefer_2018",
            "<100|200|...|1000>[-<7|17>[-<1|2 mm>]]",
            "400-7-1",
            _schaefer,
        ),
        AtlasSpec(
            "talairach",
            "fetch_atlas_talairach",
            "hemisphere | lobe | gyrus | tissue | ba",
            "",
            _talairach,
        ),
        AtlasSpec(
            "yeo",
            "fetch_atlas_yeo_2011",
            "thin_7 | thick_7 | thin_17 | thick_17",
            "thick_7",
            _yeo,
        ),
        AtlasSpec(
            "harvard_oxford",
            "fetch_atlas_harvard_oxford",
            "<cort|cortl|sub>-<maxprob-thr0|maxprob-thr25|maxprob-thr50|prob>-<1mm|2mm>",
            "cort-maxprob-thr25-2mm",
            _harvard_oxford,
        ),
        AtlasSpec(
            "juelich",
            "fetch_atlas_juelich",
            "<maxprob-thr0|maxprob-thr25|maxprob-thr50|prob>-<1mm|2mm>",
            "maxprob-thr25-2mm",
            _juelich,
        ),
        AtlasSpec(
            "difumo",
            "fetch_atlas_difumo",
            "<64|128|256|512|1024>[-<2|3 mm>]",
            "64-2",
            _difumo,
        ),
        AtlasSpec("msdl", "fetch_atlas_msdl", "", "", _msdl),
        AtlasSpec(
            "pauli",
            "fetch_atlas_pauli_2017",
            "probabilistic | deterministic",
            "probabilistic",
            _pauli,
        ),
        AtlasSpec(
            "smith",
            "fetch_atlas_smith_2009",
            "rsn10 | rsn20 | rsn70 | bm10 | bm20 | bm70",
            "rsn10",
            _smith,
        ),
    )
}

_ALIASES = {
    "harvard-oxford": "harvard_oxford",
    "harvardoxford": "harvard_oxford",
    "ho": "harvard_oxford",
    "basc_multiscale_2015": "basc",
    "schaefer_2018": "schaefer",
    "yeo_2011": "yeo",
    "destrieux_2009": "destrieux",
    "pauli_2017": "pauli",
    "smith_2009": "smith",
}


def is_query(roi_file: str | None) -> bool:
    """Return True when ``roi_file`` is a ``nilearn:`` atlas query."""
    return isinstance(roi_file, str) and roi_file.strip().lower().startswith(PREFIX)


def _catalogue() -> str:
    return "\n".join(
        f"  nilearn:{s.name}"
        + (f":{s.syntax}" if s.syntax else "")
        + (f"  (default {s.default})" if s.default else "")
        for s in ATLASES.values()
    )


def parse_query(query: str) -> tuple[AtlasSpec, dict[str, Any]]:
    """Parse ``nilearn:<atlas>[:<parameters>]`` into an atlas and fetcher keywords.

    Parameters
    ----------
    query : str
        For example ``nilearn:schaefer:400-17-2`` or ``nilearn:msdl``.

    Returns
    -------
    spec : AtlasSpec
        The atlas.
    kwargs : dict
        Keyword arguments for the nilearn fetcher (without ``data_dir``).

    Raises
    ------
    AtlasQueryError
        If the query is malformed; the message lists every valid atlas and
        its parameters.
    """
    text = str(query).strip()
    pieces = text.split(":", 2)
    if len(pieces) < 2 or pieces[0].lower() != PREFIX[:-1] or not pieces[1]:
        raise AtlasQueryError(
            "{parameter} {value} is not a valid atlas query: use "
            "'nilearn:<atlas>:<parameters>'. Valid atlases and parameters:\n"
            "{catalogue:text}",
            parameter="roi_file",
            value=query,
            catalogue=_catalogue(),
        )
    key = pieces[1].strip().lower()
    key = _ALIASES.get(key, key)
    spec = ATLASES.get(key)
    if spec is None:
        raise AtlasQueryError(
            "{parameter} {value} names an unknown atlas {atlas}. Valid atlases "
            "and parameters:\n{catalogue:text}",
            parameter="roi_file",
            value=query,
            atlas=pieces[1],
            catalogue=_catalogue(),
        )
    params = pieces[2].strip() if len(pieces) == 3 else ""
    if not params and spec.default == "" and spec.syntax:
        raise AtlasQueryError(
            "{parameter} {value} needs parameters: {syntax:text}.",
            parameter="roi_file",
            value=query,
            syntax=f"nilearn:{spec.name}:{spec.syntax}",
        )
    try:
        return spec, spec.parse(params or spec.default)
    except _Bad as exc:
        raise AtlasQueryError(
            "{parameter} {value} has invalid parameters for {atlas}: {problem:text}. "
            "Use {syntax:text}, e.g. {example:text}.",
            parameter="roi_file",
            value=query,
            atlas=spec.name,
            problem=str(exc),
            syntax=f"nilearn:{spec.name}:{spec.syntax}",
            example=f"nilearn:{spec.name}{':' + spec.default if spec.default else ''}",
        ) from None


def fetch_query(
    query: str,
    data_dir: str | None = None,
    *,
    fetchers: Mapping[str, Callable[..., Any]] | None = None,
) -> ResolvedAtlas:
    """Fetch the atlas a query names and return its image path, kind and labels.

    Parameters
    ----------
    query : str
        A ``nilearn:`` query (see :func:`parse_query`).
    data_dir : str or None
        Where nilearn keeps its data; None uses nilearn's default
        (``$NILEARN_DATA`` or ``~/nilearn_data``).
    fetchers : mapping, optional
        Fetcher functions by nilearn name, replacing ``nilearn.datasets``'s
        (a seam for tests and offline use).

    Returns
    -------
    ResolvedAtlas
        ``image`` is a NIfTI path (an in-memory atlas is saved under
        ``<data_dir>/niimasker_atlases``); label ``index`` is the label value
        (``labels``) or the 1-based map number (``maps``); background is never
        a region.

    Raises
    ------
    AtlasQueryError
        If the query is malformed.
    AtlasFetchError
        If nilearn cannot fetch the atlas (usually no network).
    """
    spec, kwargs = parse_query(query)
    if fetchers is not None and spec.fetcher in fetchers:
        fetcher = fetchers[spec.fetcher]
    else:
        from nilearn import datasets

        fetcher = getattr(datasets, spec.fetcher)
    try:
        bunch = fetcher(data_dir=data_dir, verbose=0, **kwargs)
    except Exception as exc:
        offline = _is_network_failure(exc)
        call = f"nilearn.datasets.{spec.fetcher}" + (
            f"({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        )
        raise AtlasFetchError(
            {
                "python": "Could not fetch {value} with {call:text}: {detail:text}.",
                "r": "Could not fetch {value}: "
                + ("no network connection" if offline else "the download failed")
                + ", and it is not in {--data_dir} yet.",
            },
            parameter="roi_file",
            value=query,
            call=call,
            detail=f"{type(exc).__name__}: {exc}",
            offline=offline,
            fix="Check the network connection, or download the atlas once and give "
            "its folder as {--data_dir} (or $NILEARN_DATA).",
        ) from exc
    image = _image_path(bunch, query, data_dir, spec.name)
    shape = nib.load(image).shape
    kind = "maps" if len(shape) == 4 and shape[3] > 1 else "labels"
    index, name = _labels(bunch, kind, shape)
    return ResolvedAtlas(query.strip(), spec.name, image, kind, index, name)


def _is_network_failure(exc: BaseException) -> bool:
    # requests' ConnectionError, urllib's URLError, socket errors: by name, so
    # that neither needs importing here.
    seen: BaseException | None = exc
    while seen is not None:
        names = {c.__name__ for c in type(seen).__mro__}
        if names & {"ConnectionError", "URLError", "gaierror", "timeout", "Timeout"}:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _image_path(
    bunch: Mapping[str, Any], query: str, data_dir: str | None, atlas: str
) -> str:
    """Path of the atlas image: the fetched file, or an in-memory atlas saved once."""
    maps = bunch["maps"]
    if isinstance(maps, (str, Path)):
        return str(maps)
    filename = bunch.get("filename")
    # nilearn 0.14 returns Harvard-Oxford's file unchanged (no symmetric split
    # is asked for); Juelich merges labels or maps in memory, so its file differs.
    if atlas == "harvard_oxford" and isinstance(filename, (str, Path)):
        if Path(filename).is_file():
            return str(filename)
    from nilearn.datasets.utils import get_data_dirs

    folder = Path(data_dir) if data_dir else Path(get_data_dirs()[0])
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", query.strip().lower()) + ".nii.gz"
    target = folder / "niimasker_atlases" / name
    if not target.is_file():  # an atlas never changes for a given query
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp.nii.gz")
        maps.to_filename(str(tmp))
        tmp.replace(target)
    return str(target)


def _labels(
    bunch: Mapping[str, Any], kind: str, shape: tuple[int, ...]
) -> tuple[list[int], list[str]]:
    lut = bunch.get("lut")
    if (
        kind == "labels"
        and isinstance(lut, pd.DataFrame)
        and {"index", "name"} <= set(lut.columns)
    ):
        pairs = [
            (int(round(float(i))), str(n)) for i, n in zip(lut["index"], lut["name"])
        ]
        pairs = [(i, n) for i, n in pairs if i != 0]
        return [i for i, _ in pairs], [n for _, n in pairs]
    names = _names(bunch.get("labels"))
    if kind == "maps":
        n_maps = shape[3]
        if names is not None and len(names) == n_maps + 1 and _is_background(names[0]):
            names = names[1:]
        if names is None or len(names) != n_maps:
            names = [str(i) for i in range(1, n_maps + 1)]
        return list(range(1, n_maps + 1)), names
    if names is None:
        raise AtlasQueryError(
            "The fetched atlas has neither a look-up table nor labels."
        )
    pairs = [(i, n) for i, n in enumerate(names) if not (i == 0 and _is_background(n))]
    return [i for i, _ in pairs], [n for _, n in pairs]


def _names(labels: Any) -> list[str] | None:
    if labels is None:
        return None
    if isinstance(labels, pd.DataFrame):
        columns = {c.lower(): c for c in labels.columns}
        for key in ("difumo_names", "name", "names", "label", "labels"):
            if key in columns:
                return [str(v).strip() for v in labels[columns[key]]]
        return None
    return [v.decode() if isinstance(v, bytes) else str(v).strip() for v in labels]


def _is_background(name: str) -> bool:
    from .label_names import BACKGROUND_NAMES

    return name.strip().lower() in BACKGROUND_NAMES


def load(request: RoiRequest) -> QueriedAtlas:
    """Fetch the atlas a ``nilearn:`` query names and load it (the ``query`` kind).

    The fetched image is loaded as a labelled atlas or as maps, with the
    atlas's own region names unless ``labels`` are given.

    Parameters
    ----------
    request : RoiRequest
        The set's query, its options (``data_dir``, ``labels``...).

    Returns
    -------
    QueriedAtlas
        The fetched atlas's regions, describing the query too.
    """
    options = request.options
    atlas = fetch_query(request.roi_file, options.data_dir)
    labels = options.labels
    if labels is None:
        labels = dict(zip(atlas.index, atlas.name))
    fetched = dataclasses.replace(
        request,
        roi_file=atlas.image,
        options=dataclasses.replace(options, labels=labels),
    )
    from . import label_image, maps  # maps imports scipy.linalg: only when used

    kind = maps if atlas.kind == "maps" else label_image
    return QueriedAtlas(kind.load(fetched), atlas.to_dict())


class QueriedAtlas(GridCachedSource):
    """An ROI source fetched by a ``nilearn:`` query; describes the query too."""

    def __init__(self, source: RoiSource, atlas: dict[str, Any]) -> None:
        self.source = source
        self.kind = source.kind
        self.atlas = atlas

    def for_grid(self, shape: tuple[int, int, int], affine: Any) -> Any:
        """Return the reduction of the fetched atlas for this grid."""
        return self.source.for_grid(shape, affine)

    @property
    def names(self) -> list[str]:
        """The region names of the fetched atlas."""
        return list(self.source.names)

    def region_image(
        self, reduction: Any, shape: tuple[int, int, int], affine: Any
    ) -> tuple[Any, str]:
        """Return the fetched atlas's region image on this grid."""
        return self.source.region_image(reduction, shape, affine)

    def extent_mm(self) -> Any:
        """Return the fetched atlas's bounding box in mm."""
        return self.source.extent_mm()

    def describe(self) -> dict[str, Any]:
        """Return the fetched atlas's description plus the query."""
        return {
            **self.source.describe(),
            "query": self.atlas["query"],
            "atlas": self.atlas["atlas"],
        }

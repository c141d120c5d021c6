"""``nilearn:<atlas>[:<parameters>]`` queries, mapped onto nilearn 0.14's atlas fetchers.

The seed's spellings are kept (``nilearn:yeo:thick_7``, ``nilearn:basc:sym-20``,
``nilearn:schaefer:400-17-2``, ``nilearn:aal:SPM12``,
``nilearn:destrieux:lateralized``, ``nilearn:talairach:ba``) and the
probabilistic and other atlases nilearn 0.14 fetches are added
(``harvard_oxford``, ``juelich``, ``difumo``, ``msdl``, ``pauli``, ``smith``).
Parsing (:mod:`niimasker_core.rois.atlas_catalogue`) never touches the
network; :func:`fetch_query` calls the fetcher, which downloads into
nilearn's data folder (or ``data_dir``) once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nibabel as nib

from ..errors import AtlasFetchError, AtlasQueryError
from .atlas_catalogue import parse_query
from .base import GridCachedSource, RoiRequest, RoiSource
from .label_names import BACKGROUND_NAMES
from .registry import load_source

if TYPE_CHECKING:
    pass

__all__ = ["QueriedAtlas", "ResolvedAtlas", "fetch_query", "load"]


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
    import pandas as pd  # pandas: only with tables

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
    import pandas as pd  # pandas: only with tables

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
    )  # a 4D image is maps, a 3D one labels: the registry tells them apart
    return QueriedAtlas(load_source(fetched), atlas.to_dict())


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

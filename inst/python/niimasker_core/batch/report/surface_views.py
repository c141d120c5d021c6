"""Regions drawn on a cortical mesh: lateral and medial views, rasterised with numpy.

Each view is an orthographic projection of the mesh seen from one side; the
faces are painted far to near (painter's algorithm: the face nearest the
viewer wins each pixel), each in its region's colour (grey outside regions)
with Lambert shading, into an RGB array the report encodes as a PNG. No
plotting library is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AMBIENT",
    "BACKGROUND",
    "MARGIN",
    "MAX_VIEW_PIXELS",
    "OUTSIDE_GREY",
    "PIXELS_PER_MM",
    "View",
    "atlas_views",
    "face_colours",
    "project",
    "rasterise",
    "views_for",
]

#: The canvas around the meshes.
BACKGROUND = (255, 255, 255)
#: Faces in no region (the medial wall, vertices the image lacks), before shading.
OUTSIDE_GREY = (180, 180, 180)
#: Pixels per mm of the mesh: fsaverage5's inflated hemisphere (216 x 146 mm)
#: becomes about 300 x 200 pixels.
PIXELS_PER_MM = 1.4
#: Pixels of the longest side of a view at most (a mesh in other units than mm
#: is drawn smaller, not huge).
MAX_VIEW_PIXELS = 400
#: Pixels of canvas around each view.
MARGIN = 6
#: Light reaching a face seen edge-on; one facing the viewer gets 1.
AMBIENT = 0.35
#: Candidate pixels tested at once (bounds the rasteriser's memory).
_BATCH = 2**21


@dataclass(frozen=True)
class View:
    """A direction to look at a hemisphere from.

    Attributes
    ----------
    name : str
        What the view shows (``lateral``, ``medial``).
    towards_viewer : tuple of float
        Unit vector from the mesh to the viewer, in the mesh's RAS mm.
    """

    name: str
    towards_viewer: tuple[float, float, float]

    def axes(self) -> np.ndarray:
        """Return the ``(3, 3)`` rows: screen right, screen up, towards the viewer.

        Up is superior (+z); right completes a right-handed frame, so a left
        hemisphere seen from the left has anterior on the left.
        """
        depth = np.asarray(self.towards_viewer, dtype=np.float64)
        up = np.array([0.0, 0.0, 1.0])
        right = np.cross(-depth, up)
        return np.stack([right, up, depth])


def views_for(hemisphere: str) -> tuple[View, View]:
    """Return the lateral and medial views of ``'left'`` or ``'right'``."""
    outward = -1.0 if hemisphere == "left" else 1.0
    return (
        View("lateral", (outward, 0.0, 0.0)),
        View("medial", (-outward, 0.0, 0.0)),
    )


def project(coords: np.ndarray, view: View) -> tuple[np.ndarray, np.ndarray]:
    """Project vertices orthographically for ``view``.

    Parameters
    ----------
    coords : numpy.ndarray
        ``(n_vertices, 3)`` mm.
    view : View
        Where the viewer is.

    Returns
    -------
    screen : numpy.ndarray
        ``(n_vertices, 2)``: mm to the right and up on the screen.
    depth : numpy.ndarray
        ``(n_vertices,)``: mm towards the viewer (larger is nearer).
    """
    moved = np.asarray(coords, dtype=np.float64) @ view.axes().T
    return moved[:, :2], moved[:, 2]


def face_colours(
    faces: np.ndarray,
    labels: np.ndarray,
    colours: np.ndarray,
    normals: np.ndarray,
    view: View,
) -> np.ndarray:
    """Return each face's RGB: its region's colour (grey outside), Lambert-shaded.

    A face takes the label most of its vertices have (its first vertex's if
    all three differ); label ``k`` > 0 is ``colours[k - 1]``.

    Parameters
    ----------
    faces : numpy.ndarray
        ``(n_faces, 3)`` vertex numbers.
    labels : numpy.ndarray
        One int per vertex: 0 outside regions.
    colours : numpy.ndarray
        ``(n_regions, 3)`` uint8.
    normals : numpy.ndarray
        ``(n_faces, 3)`` unit normals.
    view : View
        Where the light and the viewer are.

    Returns
    -------
    numpy.ndarray
        ``(n_faces, 3)`` uint8.
    """
    a, b, c = (np.asarray(labels)[faces[:, i]] for i in range(3))
    label = np.where((a == b) | (a == c), a, np.where(b == c, b, a))
    palette = np.vstack([OUTSIDE_GREY, np.asarray(colours).reshape(-1, 3)])
    base = palette[np.clip(label, 0, len(palette) - 1)].astype(np.float64)
    light = np.abs(normals @ np.asarray(view.towards_viewer, dtype=np.float64))
    shade = AMBIENT + (1 - AMBIENT) * light
    return np.round(base * shade[:, None]).astype(np.uint8)


def _normals(coords: np.ndarray, faces: np.ndarray) -> np.ndarray:
    corners = np.asarray(coords, dtype=np.float64)[faces]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    return normal / np.where(length > 0, length, 1.0)


def rasterise(
    pixels: np.ndarray,
    faces: np.ndarray,
    depth: np.ndarray,
    colours: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """Paint triangles far to near: each pixel shows the nearest face covering it.

    A pixel ``(row, column)`` is covered by a face when its centre, the point
    ``(x=column, y=row)``, lies inside the face's projection (edges included,
    so faces sharing an edge leave no crack). Painting in depth order is done
    at once: each pixel keeps the face of highest depth rank among those
    covering it, which is what painting them one by one far to near leaves.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(n_vertices, 2)`` vertex positions in pixels: x (column), y (row, down).
    faces : numpy.ndarray
        ``(n_faces, 3)`` vertex numbers.
    depth : numpy.ndarray
        ``(n_vertices,)`` distance towards the viewer; a face's is its mean.
    colours : numpy.ndarray
        ``(n_faces, 3)`` uint8.
    shape : tuple of int
        ``(height, width)`` of the canvas.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8, :data:`BACKGROUND` where no face is.
    """
    height, width = shape
    faces = np.asarray(faces, dtype=np.int64)
    order = np.argsort(np.asarray(depth, dtype=np.float64)[faces].mean(axis=1))
    rank = np.empty(len(faces), dtype=np.int64)
    rank[order] = np.arange(len(faces))  # 0 is the farthest face
    best = np.full(height * width, -1, dtype=np.int64)
    for index, covered in _coverage(np.asarray(pixels, np.float64)[faces], shape):
        np.maximum.at(best, covered, rank[index])
    out = np.empty((height * width, 3), dtype=np.uint8)
    out[:] = BACKGROUND
    hit = best >= 0
    out[hit] = np.asarray(colours, dtype=np.uint8)[order[best[hit]]]
    return out.reshape(height, width, 3)


def _coverage(triangles: np.ndarray, shape: tuple[int, int]):
    """Yield ``(face, pixel)`` arrays: flat pixel numbers whose centre a face covers.

    Faces are taken in groups of equal bounding-box size, so each group's
    candidate pixels form one array.
    """
    height, width = shape
    low = np.ceil(triangles.min(axis=1) - 1e-9).astype(np.int64)
    high = np.floor(triangles.max(axis=1) + 1e-9).astype(np.int64)
    low = np.maximum(low, 0)
    high = np.minimum(high, [width - 1, height - 1])
    size = high - low + 1
    area = _cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    useful = (size > 0).all(axis=1) & (np.abs(area) > 1e-12)
    boxes = size[:, 0] * (height + 1) + size[:, 1]
    for box in np.unique(boxes[useful]):
        group = np.flatnonzero(useful & (boxes == box))
        w, h = int(size[group[0], 0]), int(size[group[0], 1])
        dx, dy = np.meshgrid(np.arange(w), np.arange(h))
        step = max(1, _BATCH // (w * h))
        for start in range(0, len(group), step):
            part = group[start : start + step]
            x = low[part, 0, None] + dx.ravel()
            y = low[part, 1, None] + dy.ravel()
            inside = _inside(triangles[part], area[part], x, y)
            rows, _ = np.nonzero(inside)
            yield part[rows], (y * width + x)[inside]


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _inside(
    triangle: np.ndarray, area: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Return which points ``(x, y)`` (one row per triangle) lie in their triangle."""
    sign = np.sign(area)[:, None]
    point = np.stack([x, y], axis=-1).astype(np.float64)
    inside = np.ones(x.shape, dtype=bool)
    for i in range(3):
        a, b = triangle[:, i, None, :], triangle[:, (i + 1) % 3, None, :]
        inside &= sign * _cross(b - a, point - a) >= -1e-9
    return inside


def atlas_views(
    meshes: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    colours: np.ndarray,
    pixels_per_mm: float = PIXELS_PER_MM,
) -> np.ndarray:
    """Draw each hemisphere's regions, lateral view above medial, hemispheres side by side.

    Parameters
    ----------
    meshes : sequence of (str, ndarray, ndarray, ndarray)
        Per hemisphere: ``'left'`` or ``'right'``, its vertices ``(n, 3)`` mm,
        its faces ``(m, 3)`` and a label per vertex (0 outside regions).
    colours : numpy.ndarray
        ``(n_regions, 3)`` uint8: label ``k`` is drawn in ``colours[k - 1]``.
    pixels_per_mm : float
        The scale, the same in every view, lowered so that no view is longer
        than :data:`MAX_VIEW_PIXELS`.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8 RGB.
    """
    extent = max(float(np.ptp(np.asarray(m[1])[:, 1:], axis=0).max()) for m in meshes)
    pixels_per_mm = min(pixels_per_mm, MAX_VIEW_PIXELS / max(extent, 1e-6))
    columns = []
    for hemisphere, coords, faces, labels in meshes:
        faces = np.asarray(faces, dtype=np.int64)
        normals = _normals(coords, faces)
        tiles = []
        for view in views_for(hemisphere):
            screen, depth = project(coords, view)
            low, high = screen.min(axis=0), screen.max(axis=0)
            # columns run right, rows run down: screen up is row 0
            px = np.column_stack(
                [
                    (screen[:, 0] - low[0]) * pixels_per_mm + MARGIN,
                    (high[1] - screen[:, 1]) * pixels_per_mm + MARGIN,
                ]
            )
            shape = tuple(
                int(np.ceil(n)) + 2 * MARGIN
                for n in ((high - low)[::-1] * pixels_per_mm)
            )
            colour = face_colours(faces, labels, colours, normals, view)
            tiles.append(rasterise(px, faces, depth, colour, shape))
        columns.append(_stack(tiles, axis=0))
    return _stack(columns, axis=1)


def _stack(tiles: list[np.ndarray], axis: int) -> np.ndarray:
    """Join tiles along ``axis``, padding the other side with the background."""
    other = 1 - axis
    size = max(t.shape[other] for t in tiles)
    padded = []
    for tile in tiles:
        pad = [(0, 0), (0, 0), (0, 0)]
        pad[other] = (0, size - tile.shape[other])
        padded.append(np.pad(tile, pad, constant_values=BACKGROUND[0]))
    return np.concatenate(padded, axis=axis)

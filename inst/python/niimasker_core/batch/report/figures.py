"""The report's figures, drawn with numpy alone: PNG images and SVG line plots.

PNGs are encoded here (zlib + struct, filter 0 on every row) so that the
report needs no plotting library; images are drawn at one pixel per voxel,
region or volume and scaled by the browser (``image-rendering: pixelated``).
A surface run's regions are drawn on its mesh by
:mod:`~niimasker_core.batch.report.surface_views`.
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from collections.abc import Sequence

import numpy as np

from .meshes import meshes_for
from .surface_views import atlas_views

__all__ = [
    "carpet",
    "colour_bar_svg",
    "correlation",
    "data_uri",
    "encode_png",
    "labelled_image_svg",
    "lines_svg",
    "matrix",
    "mosaic",
    "region_colours",
    "surface_atlas",
]

#: Colour levels of the diverging map (carpet and correlation images).
_LEVELS = 33
_NAN_GREY = (200, 200, 200)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def encode_png(pixels: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """Encode an 8-bit image as PNG bytes.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(height, width, 3)`` uint8 RGB, or ``(height, width)`` uint8 indices
        into ``palette``.
    palette : numpy.ndarray, optional
        ``(n, 3)`` uint8 colours (n <= 256) for an indexed image.

    Returns
    -------
    bytes
        A complete PNG file.
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    indexed = palette is not None
    colour_type = 3 if indexed else 2
    rows = pixels.reshape(height, -1)
    raw = np.zeros((height, rows.shape[1] + 1), dtype=np.uint8)  # filter byte 0
    raw[:, 1:] = rows
    out = [
        b"\x89PNG\r\n\x1a\n",
        _chunk(
            b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
        ),
    ]
    if indexed:
        out.append(_chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes()))
    out.append(_chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)))
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)


def data_uri(png: bytes) -> str:
    """Return ``png`` as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def region_colours(n: int) -> np.ndarray:
    """Return ``(n, 3)`` uint8 colours, neighbours in order far apart in hue.

    Hues follow the golden angle and lightness cycles through three levels,
    so that adjacent labels (often adjacent in the brain) look different.
    """
    index = np.arange(n)
    hue = (index * 0.381966) % 1.0
    value = np.array([0.95, 0.75, 0.55])[index % 3]
    sat = np.array([0.85, 0.65, 0.95])[(index // 3) % 3]
    h6 = hue * 6
    c = value * sat
    x = c * (1 - np.abs(h6 % 2 - 1))
    m = value - c
    zeros = np.zeros(n)
    sector = h6.astype(int) % 6
    r = np.choose(sector, [c, x, zeros, zeros, x, c])
    g = np.choose(sector, [x, c, c, x, zeros, zeros])
    b = np.choose(sector, [zeros, zeros, x, c, c, x])
    rgb = np.stack([r + m, g + m, b + m], axis=1)
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)


def surface_atlas(
    surfaces: Sequence[tuple[str, np.ndarray]], surf_mesh: str | None = None
) -> tuple[bytes | None, str]:
    """Draw a surface run's regions on its mesh, or say why it cannot be drawn.

    Parameters
    ----------
    surfaces : sequence of (str, numpy.ndarray)
        Per surface structure: its CIFTI name and a label per vertex of its
        mesh (0 outside regions, ``k`` in region ``k``, coloured
        ``region_colours(n)[k - 1]``).
    surf_mesh : str or None
        The user's GIFTI mesh (one hemisphere's file); None: fsaverage5 when
        the run has its vertex count.

    Returns
    -------
    png : bytes or None
        Lateral and medial views of each hemisphere (None: no known mesh).
    words : str
        What the picture shows, or why there is none.
    """
    meshes, words = meshes_for(surfaces, surf_mesh)
    if not meshes:
        return None, words
    n_regions = max(int(labels.max(initial=0)) for *_, labels in meshes)
    return encode_png(atlas_views(meshes, region_colours(max(n_regions, 1)))), words


def _diverging_palette() -> np.ndarray:
    """Blue - white - red in ``_LEVELS`` steps, then grey for missing values."""
    t = np.linspace(-1.0, 1.0, _LEVELS)
    blue, white, red = (
        np.array([33, 102, 172]),
        np.array([247, 247, 247]),
        np.array([178, 24, 43]),
    )
    low = white + (blue - white) * np.clip(-t, 0, 1)[:, None]
    high = white + (red - white) * np.clip(t, 0, 1)[:, None]
    colours = np.where((t < 0)[:, None], low, high)
    return np.vstack([np.round(colours), [_NAN_GREY]]).astype(np.uint8)


def _levels(values: np.ndarray, limit: float) -> np.ndarray:
    """Map ``[-limit, limit]`` to palette indices; NaN to the grey entry."""
    scaled = (np.clip(values, -limit, limit) / limit + 1) / 2 * (_LEVELS - 1)
    index = np.where(np.isfinite(scaled), np.round(np.nan_to_num(scaled)), _LEVELS)
    return index.astype(np.uint8)


def carpet(values: np.ndarray) -> bytes:
    """Draw a carpet plot: one row per column of ``values``, one pixel per volume.

    Each column is z-scored over time and shown from -3 (blue) to +3 (red);
    empty (NaN) columns are grey.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n_volumes, n_columns)`` timeseries.

    Returns
    -------
    bytes
        PNG of width ``n_volumes`` and height ``n_columns``.
    """
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = values - values.mean(axis=0)
        scale = centred.std(axis=0)
        z = centred / np.where(scale > 0, scale, np.nan)
    z[:, scale == 0] = 0.0
    return encode_png(_levels(z.T, 3.0), _diverging_palette())


def correlation(values: np.ndarray) -> bytes:
    """Draw the column-by-column Pearson correlation matrix, -1 blue to +1 red.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n_volumes, n_columns)`` timeseries; constant or empty columns are grey.

    Returns
    -------
    bytes
        PNG of ``n_columns`` by ``n_columns`` pixels.
    """
    values = np.asarray(values, dtype=np.float64)
    centred = values - values.mean(axis=0)
    norm = np.sqrt((centred * centred).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = centred / np.where(norm > 0, norm, np.nan)
    matrix = np.nan_to_num(unit, nan=0.0).T @ np.nan_to_num(unit, nan=0.0)
    bad = ~np.isfinite(norm) | (norm == 0)
    matrix[bad, :] = np.nan
    matrix[:, bad] = np.nan
    return encode_png(_levels(matrix, 1.0), _diverging_palette())


def matrix(values: np.ndarray, limit: float = 1.0) -> bytes:
    """Draw a square matrix (a connectivity matrix), ``-limit`` blue to ``+limit`` red.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n, n)``; NaN cells (regions left out, a Fisher z diagonal) are grey.
    limit : float
        The value drawn fully red (its negative fully blue).

    Returns
    -------
    bytes
        PNG of ``n`` by ``n`` pixels.
    """
    values = np.asarray(values, dtype=np.float64)
    return encode_png(_levels(values, limit), _diverging_palette())


def _bounds(mask: np.ndarray, margin: int = 1) -> list[slice]:
    out = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        if hit.size == 0:
            out.append(slice(0, mask.shape[axis]))
        else:
            lo = max(int(hit[0]) - margin, 0)
            out.append(slice(lo, min(int(hit[-1]) + margin + 1, mask.shape[axis])))
    return out


def mosaic(
    mean: np.ndarray, regions: np.ndarray, n_slices: int = 12, n_columns: int = 6
) -> tuple[bytes, list[int]]:
    """Draw axial slices of ``mean`` in grey with each region tinted in its colour.

    Parameters
    ----------
    mean : numpy.ndarray
        3D image in RAS+ voxel orientation.
    regions : numpy.ndarray
        3D int array on the same grid: 0 outside regions, ``k`` inside the
        region numbered ``k`` (1-based, colour ``region_colours(n)[k - 1]``).
    n_slices : int
        Number of axial slices, evenly spaced over the brain and regions.
    n_columns : int
        Slices per mosaic row.

    Returns
    -------
    png : bytes
        The mosaic, anterior up and subject left on the left.
    slices : list of int
        The 0-based axial slice indices drawn, in order.
    """
    mean = np.nan_to_num(np.asarray(mean, dtype=np.float64))
    regions = np.asarray(regions)
    magnitude = np.abs(mean)
    top = np.percentile(magnitude, 98) if magnitude.size else 0.0
    foreground = (magnitude > 0.2 * top) | (regions > 0)
    box = _bounds(foreground)
    zs = np.arange(box[2].start, box[2].stop)
    count = min(n_slices, len(zs))
    # interior points: the ends of the box are its empty margin
    steps = np.linspace(0, len(zs) - 1, count + 2)[1:-1].round()
    picks = zs[np.unique(steps).astype(int)]
    inside = mean[box[0], box[1], box[2]]
    lo, hi = (
        np.percentile(inside, [2, 98]) if inside.size else (0.0, 1.0)
    )  # robust grey range
    hi = hi if hi > lo else lo + 1.0
    grey = np.clip((mean - lo) / (hi - lo), 0, 1) * 255
    n_regions = int(regions.max()) if regions.size else 0
    colours = region_colours(max(n_regions, 1)).astype(np.float64)
    tiles = []
    for z in picks:
        g = grey[box[0], box[1], z]
        r = regions[box[0], box[1], z]
        rgb = np.repeat(g[..., None], 3, axis=2)
        hit = r > 0
        rgb[hit] = 0.35 * rgb[hit] + 0.65 * colours[r[hit] - 1]
        tiles.append(np.round(rgb).astype(np.uint8).transpose(1, 0, 2)[::-1])
    n_columns = max(1, min(n_columns, len(tiles)))
    n_rows = -(-len(tiles) // n_columns)
    th, tw = tiles[0].shape[:2]
    sheet = np.zeros((n_rows * (th + 1) - 1, n_columns * (tw + 1) - 1, 3), np.uint8)
    for i, tile in enumerate(tiles):
        row, col = divmod(i, n_columns)
        sheet[
            row * (th + 1) : row * (th + 1) + th, col * (tw + 1) : col * (tw + 1) + tw
        ] = tile
    return encode_png(sheet), [int(z) for z in picks]


def _time_axis(
    volumes: np.ndarray, t_r: float | None, left: float, plot_w: float, base: float
) -> tuple[np.ndarray, list[str]]:
    """Return the x of each volume and the SVG ticks of a time axis (seconds or volumes)."""
    times = volumes * t_r if t_r else volumes.astype(np.float64)
    start, stop = float(times[0]), float(times[-1])
    span = stop - start if stop > start else 1.0
    x = left + (times - start) / span * plot_w
    ticks = []
    for value in np.linspace(start, stop, 5 if stop > start else 1):
        tx = left + (value - start) / span * plot_w
        anchor = "start" if value == start else "end" if value == stop else "middle"
        ticks.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{base - 12}" y2="{base - 8}" '
            'stroke="#666"/>'
            f'<text x="{tx:.1f}" y="{base + 2}" text-anchor="{anchor}">{value:g}</text>'
        )
    ticks.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{base + 14}" text-anchor="middle">'
        f"{'time (s)' if t_r else 'volume'}</text>"
    )
    return x, ticks


def _runs(volumes: np.ndarray) -> list[np.ndarray]:
    """Split row positions where the kept volumes jump (censored or dropped volumes)."""
    breaks = np.flatnonzero(np.diff(volumes) > 1) + 1
    return np.split(np.arange(len(volumes)), breaks)


def lines_svg(
    values: np.ndarray,
    names: Sequence[str],
    t_r: float | None,
    volumes: Sequence[int] | None = None,
    *,
    width: int = 720,
    row_height: int = 36,
    max_points: int = 600,
) -> str:
    """Draw each column of ``values`` as a line in its own row of an inline SVG.

    Lines are z-scored for display and drawn against the time of each kept
    volume (seconds when ``t_r`` is known, else the volume number), so
    censored or dropped volumes leave a gap in every line.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n_rows, n_lines)`` timeseries.
    names : sequence of str
        One name per line.
    t_r : float or None
        Repetition time.
    volumes : sequence of int or None
        The 0-based volume of each row (None: rows are consecutive volumes).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    values = np.asarray(values, dtype=np.float64)
    n_rows, n_lines = values.shape
    volumes = np.arange(n_rows) if volumes is None else np.asarray(volumes)
    left, right, bottom = 150, 10, 34
    plot_w = width - left - right
    height = n_lines * row_height + bottom
    x, ticks = _time_axis(volumes, t_r, left, plot_w, n_lines * row_height + 20)
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" class="lines">'
    ]
    colours = region_colours(n_lines)
    runs = _runs(volumes)
    step = max(1, -(-n_rows // max_points))
    for row in range(n_lines):
        y0 = row * row_height + row_height / 2
        column = values[:, row]
        name = html.escape(str(names[row]))
        parts.append(
            f'<text x="{left - 6}" y="{y0 + 4:.1f}" text-anchor="end">{name}</text>'
        )
        if not np.isfinite(column).all():
            parts.append(f'<text x="{left}" y="{y0 + 4:.1f}">n/a (empty)</text>')
            continue
        sd = column.std()
        z = (column - column.mean()) / sd if sd > 0 else column * 0
        y = y0 - np.clip(z, -3, 3) / 3 * (row_height / 2 - 2)
        colour = "#{:02x}{:02x}{:02x}".format(*(colours[row] // 4 * 3))
        for run in runs:
            keep = run[::step]
            if keep[-1] != run[-1]:
                keep = np.append(keep, run[-1])
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x[keep], y[keep]))
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1" '
                f'points="{points}"/>'
            )
    parts += ticks
    parts.append("</svg>")
    return "".join(parts)


def colour_bar_svg(limit: float, label: str, *, width: int = 200) -> str:
    """Draw the diverging colour scale from ``-limit`` (blue) to ``+limit`` (red).

    Parameters
    ----------
    limit : float
        The value of the scale's ends.
    label : str
        What the colours show.

    Returns
    -------
    str
        An inline ``<svg>`` of the palette's levels with their end and middle values.
    """
    palette = _diverging_palette()[:_LEVELS]
    step = width / _LEVELS
    rects = "".join(
        f'<rect x="{10 + i * step:.2f}" y="2" width="{step + 0.3:.2f}" height="12" '
        f'fill="#{r:02x}{g:02x}{b:02x}"/>'
        for i, (r, g, b) in enumerate(palette)
    )
    ticks = "".join(
        f'<text x="{10 + width * f:.1f}" y="26" text-anchor="middle">{v}</text>'
        for f, v in ((0, f"-{limit:g}"), (0.5, "0"), (1, f"+{limit:g}"))
    )
    grey = "#{:02x}{:02x}{:02x}".format(*_NAN_GREY)
    return (
        f'<svg width="{width + 200}" height="30" role="img" class="colourbar">'
        f"{rects}{ticks}"
        f'<rect x="{width + 30}" y="2" width="12" height="12" fill="{grey}"/>'
        f'<text x="{width + 46}" y="12">empty</text>'
        f'<text x="{width + 90}" y="12">{html.escape(label)}</text></svg>'
    )


def labelled_image_svg(
    png: bytes,
    css: str,
    row_names: Sequence[str],
    column_names: Sequence[str] | None = None,
    *,
    width: int = 720,
    height: int = 300,
    left: int = 150,
    max_labels: int = 40,
) -> str:
    """Place a one-pixel-per-cell PNG in an SVG with its rows (and columns) named.

    At most ``max_labels`` names are written per axis, evenly spaced, so a
    400-region matrix stays readable; each name sits at the middle of its row.

    Parameters
    ----------
    png : bytes
        The image (rows = ``row_names``).
    css : str
        The class of its ``<image>`` element (what it shows).
    row_names : sequence of str
        One name per image row.
    column_names : sequence of str or None
        One name per image column, written above it (the correlation matrix).

    Returns
    -------
    str
        An inline ``<svg>`` element.
    """
    top = 0
    if column_names is not None:
        top = min(left, 8 + 6 * max((len(str(n)) for n in column_names), default=0))
    total_w, total_h = left + width + 10, top + height + 4
    font = max(6.0, min(10.0, height / max(len(row_names), 1)))
    parts = [
        f'<svg width="{total_w}" height="{total_h}" viewBox="0 0 {total_w} {total_h}" '
        f'role="img" class="heatmap" style="font-size:{font:.0f}px">'
        f'<image class="{css}" x="{left}" y="{top}" width="{width}" height="{height}" '
        'preserveAspectRatio="none" style="image-rendering:pixelated" '
        f'href="{data_uri(png)}"/>'
    ]
    n = len(row_names)
    for i in _label_picks(n, max_labels):
        y = top + (i + 0.5) * height / n
        parts.append(
            f'<text x="{left - 4}" y="{y + font / 3:.1f}" text-anchor="end">'
            f"{html.escape(str(row_names[i]))}</text>"
        )
    if column_names is not None:
        m = len(column_names)
        for j in _label_picks(m, max_labels):
            x = left + (j + 0.5) * width / m
            parts.append(
                f'<text transform="translate({x + font / 3:.1f},{top - 4}) rotate(-90)">'
                f"{html.escape(str(column_names[j]))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _label_picks(n: int, max_labels: int) -> list[int]:
    if n <= max_labels:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_labels).round().astype(int).tolist()))

"""The report's surface drawing on tiny meshes: projection, depth order, coverage, shading."""

from __future__ import annotations

import numpy as np
import pytest

from niimasker_core.batch.report.surface_views import (
    BACKGROUND,
    MARGIN,
    MAX_VIEW_PIXELS,
    OUTSIDE_GREY,
    View,
    atlas_views,
    face_colours,
    project,
    rasterise,
    views_for,
)

RED, BLUE = (200, 0, 0), (0, 0, 200)


def test_lateral_view_of_the_left_hemisphere_has_anterior_on_the_left():
    lateral, medial = views_for("left")
    points = np.array([[0.0, 10, 0], [0, 0, 10], [-10, 0, 0]])  # anterior, up, left
    screen, depth = project(points, lateral)
    np.testing.assert_allclose(screen[0], [-10, 0], atol=1e-12)  # anterior: left
    np.testing.assert_allclose(screen[1], [0, 10], atol=1e-12)  # superior: up
    assert depth[2] == pytest.approx(10)  # the lateral side faces the viewer
    screen, depth = project(points, medial)
    np.testing.assert_allclose(screen[0], [10, 0], atol=1e-12)  # seen from inside
    assert depth[2] == pytest.approx(-10)


def test_the_right_hemisphere_mirrors_the_left():
    lateral, medial = views_for("right")
    assert lateral.towards_viewer == (1.0, 0.0, 0.0)
    screen, _ = project(np.array([[0.0, 10, 0]]), lateral)
    np.testing.assert_allclose(screen[0], [10, 0], atol=1e-12)  # anterior: right
    screen, _ = project(np.array([[0.0, 10, 0]]), medial)
    np.testing.assert_allclose(screen[0], [-10, 0], atol=1e-12)


def test_a_triangle_covers_the_pixel_centres_inside_it_edges_included():
    pixels = np.array([[0.0, 0], [4, 0], [0, 4]])
    out = rasterise(pixels, [[0, 1, 2]], np.zeros(3), np.array([RED]), (6, 6))
    hit = (out == RED).all(axis=2)
    rows, columns = np.mgrid[:6, :6]
    np.testing.assert_array_equal(hit, rows + columns <= 4)
    assert (out[~hit] == BACKGROUND).all()


def test_two_triangles_sharing_an_edge_leave_no_crack():
    square = np.array([[0.3, 0.3], [7.7, 0.3], [7.7, 5.7], [0.3, 5.7]])
    faces = [[0, 1, 2], [0, 2, 3]]
    out = rasterise(square, faces, np.zeros(4), np.array([RED, BLUE]), (8, 9))
    inside = np.zeros((8, 9), bool)
    inside[1:6, 1:8] = True
    painted = (out != BACKGROUND).any(axis=2)
    np.testing.assert_array_equal(painted, inside)
    assert (out[2, 6] == RED).all() and (out[5, 2] == BLUE).all()


@pytest.mark.parametrize("first", [0, 1])
def test_the_nearer_face_wins_whatever_the_order_of_the_faces(first):
    # two triangles over the same pixels, 1 mm apart: the one nearer the viewer shows
    pixels = np.array([[0.0, 0], [9, 0], [0, 9]] * 2)
    depth = np.array([0.0] * 3 + [1.0] * 3)  # the second triangle is nearer
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    colours = np.array([RED, BLUE])
    order = [first, 1 - first]
    out = rasterise(pixels, faces[order], depth, colours[order], (10, 10))
    assert (out[1, 1] == BLUE).all()
    assert not (out == RED).all(axis=2).any()


def test_a_tetrahedron_shows_the_faces_turned_to_the_viewer():
    coords = np.array([[0.0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]])
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    view = View("from +x+y+z", tuple(np.ones(3) / np.sqrt(3)))
    screen, depth = project(coords, view)
    pixels = (screen - screen.min(axis=0)) * np.array([1, -1]) * 3
    pixels[:, 1] -= pixels[:, 1].min()
    colours = np.array([(10, 0, 0), (20, 0, 0), (30, 0, 0), (40, 0, 0)])
    out = rasterise(pixels, faces, depth, colours, (40, 45))
    shown = set(np.unique(out[..., 0])) - {BACKGROUND[0]}
    # from (1, 1, 1) only the slanted face (1, 2, 3) is seen, the three others behind it
    assert shown == {40}


def test_faces_take_their_region_colour_shaded_and_grey_outside():
    faces = np.array([[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    labels = np.array([1, 1, 2, 2, 0])  # face 0: 1 (two of three); face 2: 2 and 0
    normals = np.array([[-1.0, 0, 0], [-1, 0, 0], [0, 0, 1]])  # the last edge-on
    colours = np.array([RED, BLUE], dtype=np.uint8)
    got = face_colours(faces, labels, colours, normals, views_for("left")[0])
    np.testing.assert_array_equal(got[0], RED)  # facing the viewer: full colour
    np.testing.assert_array_equal(got[1], BLUE)
    assert got[2][2] < BLUE[2] and got[2][0] == 0  # edge-on: darker, same hue
    labels[2:] = 0
    got = face_colours(faces, labels, colours, normals, views_for("left")[0])
    np.testing.assert_array_equal(got[1], OUTSIDE_GREY)


def test_atlas_views_put_lateral_above_medial_and_left_before_right():
    # a flat square hemisphere in the y-z plane, region 1 anterior, 2 posterior
    coords = np.array([[0.0, y, z] for y in (-10, 0, 10) for z in (-10, 10)])
    faces = np.array([[0, 2, 3], [0, 3, 1], [2, 4, 5], [2, 5, 3]])
    labels = np.array([2, 2, 2, 2, 1, 1])  # the anterior faces hold region 1
    colours = np.array([RED, BLUE], dtype=np.uint8)
    picture = atlas_views(
        [("left", coords, faces, labels), ("right", coords, faces, labels * 0)],
        colours,
        pixels_per_mm=2,
    )
    height, width, _ = picture.shape
    half_h, half_w = height // 2, width // 2
    left_lateral = picture[:half_h, :half_w]
    left_medial = picture[half_h:, :half_w]
    is_red = (left_lateral == RED).all(axis=2)
    columns = np.flatnonzero(is_red.any(axis=0))
    assert columns.max() < half_w / 2  # anterior on the left, seen laterally
    columns = np.flatnonzero((left_medial == RED).all(axis=2).any(axis=0))
    assert columns.min() > half_w / 2  # and on the right from the midline
    right = picture[:, half_w:]
    assert not (right == RED).all(axis=2).any()
    assert (right == OUTSIDE_GREY).all(axis=2).any()


def test_a_mesh_in_other_units_is_drawn_no_larger_than_the_cap():
    coords = np.array([[0.0, 0, 0], [0, 1e5, 0], [0, 0, 5e4]])  # micrometres
    picture = atlas_views(
        [("left", coords, np.array([[0, 1, 2]]), np.ones(3, int))],
        np.array([RED], dtype=np.uint8),
    )
    assert max(picture.shape[:2]) <= 2 * (MAX_VIEW_PIXELS + 2 * MARGIN)
    assert (picture != BACKGROUND).any()

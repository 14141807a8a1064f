"""The network view's heatmaps: block means (checked by an explicit loop), a robust colour scale, an honest caption."""

import numpy as np
from deltagrad.viz.colors import colours
from deltagrad.viz.network_summary import block_means, heatmap


def _loop_means(M, br, bc):
    rows = []
    for i in range(0, M.shape[0], br):
        rows.append([float(np.mean(M[i:i + br, j:j + bc])) for j in range(0, M.shape[1], bc)])
    return np.array(rows)


def test_block_means_match_an_explicit_loop_with_ragged_edges():
    M = np.random.default_rng(0).normal(size=(256, 784))
    R, (br, bc) = block_means(M)
    assert (br, bc) == (11, 33) and R.shape == (24, 24)  # ceil(256/24) = 11 -> 24 rows; ceil(784/24) = 33 -> 24
    np.testing.assert_allclose(R, _loop_means(M, 11, 33), rtol=1e-12, atol=1e-15)


def test_a_matrix_that_fits_is_drawn_entry_by_entry():
    M = np.arange(-6.0, 6.0).reshape(3, 4)
    g = heatmap("W", M, 4)
    assert "a cell: one entry" in g.caption
    assert [c for row in g.cells for c in row] == colours(M, float(np.percentile(np.abs(M), 98)))


def test_one_outlier_no_longer_saturates_every_cell():
    rng = np.random.default_rng(1)
    M = rng.normal(scale=0.01, size=(100, 100))
    M[3, 7] = 50.0  # one exploding weight
    g = heatmap("W", M, 3)
    cells = [c for row in g.cells for c in row]
    means = _loop_means(M, 5, 5)
    scale = np.percentile(np.abs(means), 98)
    assert cells == colours(means.ravel(), scale)
    ends = set(colours([-scale, scale], scale))
    assert sum(c in ends for c in cells) <= 0.05 * len(cells)  # at most the few cells past the 98th percentile
    assert any("the mean of a 5×5 block" in line for line in g.caption)
    assert any("98th percentile of |cell|" in line for line in g.caption)

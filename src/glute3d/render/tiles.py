"""Large pictures rendered as tiles in a smaller window, stitched: the same picture, less memory.

A 1920x1080 picture drawn in one window makes Mesa's software renderer hold every buffer at
that size: VTK's render and display framebuffers, the EGL surface, the translucency pass's
floating-point accumulation textures and FXAA's, some 75 bytes a pixel in all (~155 MB).  Drawn
as tiles, the window and its buffers are the size of a tile; only the picture and its z-buffer
are kept at full size.

Every tile is rendered with the full picture's projection, restricted to the tile: the camera's
projection matrix is the full frame's, followed by the scale and shift in normalised device
coordinates that map the tile's pixels onto the window.  The view, the lights and the depth
are the full frame's, so each pixel is computed as in the full window (up to rounding, which
can move a pixel exactly on a triangle's edge).  FXAA looks at a pixel's neighbours, so the
tiles overlap by :data:`MARGIN` pixels and each keeps only its inner part; windows on the
picture's border end at the border, as the full window does.  The translucency pass is per
pixel.

Examples
--------
>>> [(t.window, t.keep) for t in tiles((1000, 500), (2, 1), margin=10)]
[((0, 0, 520, 500), (0, 0, 500, 500)), ((480, 0, 1000, 500), (500, 0, 1000, 500))]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MARGIN", "MAX_WINDOW_PIXELS", "Tile", "drawn_box", "tile_grid", "tile_projection", "tiles"]

#: Pixels by which neighbouring tiles overlap on each side: more than FXAA's search along an
#: edge (VTK's default, 12 steps of a pixel), so the kept part of each tile is as the full window.
MARGIN = 16

#: Pictures larger than this many pixels are drawn as tiles no larger than this (plus margins).
MAX_WINDOW_PIXELS = 480 * 270


@dataclass(frozen=True)
class Tile:
    """One tile: its window and the part of it that is kept, as ``(x0, y0, x1, y1)`` pixels of the
    picture (x right, y down, ends exclusive)."""

    window: tuple[int, int, int, int]
    keep: tuple[int, int, int, int]

    @property
    def size(self) -> tuple[int, int]:
        """The window's size (width, height)."""
        return self.window[2] - self.window[0], self.window[3] - self.window[1]

    def meets(self, box: tuple[float, float, float, float] | None) -> bool:
        """Whether the window overlaps ``box`` (pixels; ``None``: nothing drawn)."""
        if box is None:
            return False
        x0, y0, x1, y1 = self.window
        return box[0] < x1 and box[2] > x0 and box[1] < y1 and box[3] > y0


def tile_grid(size: tuple[int, int], max_pixels: int | None = None) -> tuple[int, int]:
    """How many tiles across and down a picture of ``size`` is drawn as (``(1, 1)``: one window),
    each at most ``max_pixels`` (:data:`MAX_WINDOW_PIXELS` by default) without its margins.

    Examples
    --------
    >>> tile_grid((400, 300)), tile_grid((1920, 1080)), tile_grid((3840, 2160))
    ((1, 1), (6, 3), (11, 6))
    """
    limit = MAX_WINDOW_PIXELS if max_pixels is None else max_pixels
    w, h = int(size[0]), int(size[1])
    nx = ny = 1
    while (w / nx) * (h / ny) > limit:
        if w / nx >= h / ny:
            nx += 1
        else:
            ny += 1
    return nx, ny


def _spans(n: int, parts: int, margin: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``parts`` kept spans of ``range(n)`` and their windows, each grown by ``margin`` on the
    sides inside the picture, all windows the same length."""
    cuts = [round(k * n / parts) for k in range(parts + 1)]
    length = max(b - a for a, b in zip(cuts[:-1], cuts[1:], strict=True)) + (2 * margin if parts > 1 else 0)
    length = min(length, n)
    out = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        start = min(max(0, a - margin), n - length)
        out.append(((start, start + length), (a, b)))
    return out


def tiles(size: tuple[int, int], grid: tuple[int, int], margin: int | None = None) -> list[Tile]:
    """The tiles of a picture of ``size`` in a ``grid`` (across, down), all windows one size,
    overlapping by ``margin`` (:data:`MARGIN` by default)."""
    margin = MARGIN if margin is None else margin
    w, h = int(size[0]), int(size[1])
    out = []
    for (wy0, wy1), (ky0, ky1) in _spans(h, grid[1], margin):
        for (wx0, wx1), (kx0, kx1) in _spans(w, grid[0], margin):
            out.append(Tile((wx0, wy0, wx1, wy1), (kx0, ky0, kx1, ky1)))
    return out


def tile_projection(full: np.ndarray, size: tuple[int, int], tile: Tile) -> np.ndarray:
    """The projection matrix that draws ``tile``'s window of the picture whose projection is
    ``full`` (4x4, to normalised device coordinates): the full frame's, then the scale and shift
    that bring the window's pixels onto ``[-1, 1]``.

    Examples
    --------
    >>> t = Tile((0, 0, 50, 100), (0, 0, 50, 100))  # the left half of a 100x100 picture
    >>> m = tile_projection(np.eye(4), (100, 100), t)
    >>> (m @ [-1.0, 0.3, 0.5, 1.0]).tolist(), (m @ [0.0, 0.3, 0.5, 1.0]).tolist()
    ([-1.0, 0.3, 0.5, 1.0], [1.0, 0.3, 0.5, 1.0])
    """
    w, h = float(size[0]), float(size[1])
    x0, y0, x1, y1 = tile.window
    tw, th = x1 - x0, y1 - y0
    # picture pixels (x right, y up from the bottom) of the window's corners, in the full NDC
    left, right = 2.0 * x0 / w - 1.0, 2.0 * x1 / w - 1.0
    bottom, top = 1.0 - 2.0 * y1 / h, 1.0 - 2.0 * y0 / h
    ndc = np.eye(4)
    ndc[0, 0], ndc[0, 3] = 2.0 / (right - left), -(right + left) / (right - left)
    ndc[1, 1], ndc[1, 3] = 2.0 / (top - bottom), -(top + bottom) / (top - bottom)
    assert tw > 0 and th > 0
    return ndc @ np.asarray(full, float)


def drawn_box(
    composite: np.ndarray, bounds: tuple[float, ...], size: tuple[int, int], margin: float = 2.0
) -> tuple[float, float, float, float] | None:
    """The picture's pixels (x0, y0, x1, y1; y down) that the geometry within ``bounds`` (VTK's
    ``xmin, xmax, ymin, ymax, zmin, zmax``) can reach, under the view and projection matrix
    ``composite``, ``margin`` pixels wider; ``None`` when the bounds are empty.  A box reaching
    behind the camera reaches the whole picture.  Tiles outside it show only the background.

    Examples
    --------
    >>> drawn_box(np.eye(4), (-0.5, 0.5, 0.0, 0.5, 0.0, 0.0), (100, 100), margin=0)
    (25.0, 25.0, 75.0, 50.0)
    >>> drawn_box(np.eye(4), (1.0, -1.0, 0.0, 0.0, 0.0, 0.0), (100, 100)) is None
    True
    """
    b = np.asarray(bounds, float)
    if not np.all(np.isfinite(b)) or b[0] > b[1] or b[2] > b[3] or b[4] > b[5]:
        return None
    w, h = float(size[0]), float(size[1])
    corners = np.array([[x, y, z, 1.0] for x in b[0:2] for y in b[2:4] for z in b[4:6]])
    hp = corners @ np.asarray(composite, float).T
    if np.any(hp[:, 3] <= 1e-9):
        return (0.0, 0.0, w, h)
    ndc = hp[:, :2] / hp[:, 3:4]
    x = (ndc[:, 0] + 1.0) / 2.0 * w
    y = h - (ndc[:, 1] + 1.0) / 2.0 * h
    return (float(x.min() - margin), float(y.min() - margin), float(x.max() + margin), float(y.max() + margin))

"""Figures as pixels: class colours that stay apart, digit layouts, sheets, sweeps, scatters."""

from __future__ import annotations

import numpy as np
import pytest
from rich.color import Color, ColorSystem

from aetui.core.analysis.images import EMPTY
from aetui.views import figures


def cielab(rgb) -> np.ndarray:
    """sRGB (0..255) to CIE L*a*b* under D65, the textbook way."""
    c = np.asarray(rgb, np.float64) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def closest_pair(rgb) -> float:
    lab = cielab(rgb)
    d = np.sqrt(((lab[:, None] - lab[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return float(d.min())


def test_the_ten_class_colours_stay_apart_and_bright_on_a_dark_background():
    assert len(figures.CLASS_RGB) == 10 and len(set(figures.CLASS_RGB)) == 10
    assert closest_pair(figures.CLASS_RGB) > 40  # CIE76: 2.3 is just noticeable; tab10 had 27.7
    in_256 = [Color.from_rgb(*c).downgrade(ColorSystem.EIGHT_BIT).get_truecolor() for c in figures.CLASS_RGB]
    assert closest_pair([tuple(c) for c in in_256]) > 40  # where the terminal has only 256 colours
    assert cielab(figures.CLASS_RGB)[:, 0].min() > 55  # lightness: no colour sinks into the background


@pytest.mark.parametrize("depth, least", [(None, 40), (ColorSystem.EIGHT_BIT, 35), (ColorSystem.STANDARD, 45)])
def test_the_session_palette_stays_apart_in_every_colour_depth(depth, least):
    """Truecolour, the 256 colours and the 16 that Textual falls back to (rich's downgrade): the closest
    two sessions' colours are still far apart (CIE76), and in 16 colours each is a different one."""
    palette = [Color.from_rgb(*c) for c in figures.SESSION_RGB]
    if depth is not None:
        palette = [c.downgrade(depth) for c in palette]
        assert len({c.number for c in palette}) == len(palette)
    assert closest_pair([tuple(c.get_truecolor()) for c in palette]) > least
    if depth != ColorSystem.STANDARD:  # (the 16 are the terminal's own: their lightness is its theme's)
        assert cielab([tuple(c.get_truecolor()) for c in palette])[:, 0].min() > 55  # bright on a dark background


def test_with_no_colour_sessions_differ_by_their_symbol():
    from rich.cells import cell_len

    marks = figures.SESSION_MARKS
    assert len(set(marks)) == len(marks) >= len(figures.SESSION_RGB) and all(cell_len(m) == 1 for m in marks)
    looks = [figures.session_look(i) for i in range(len(figures.SESSION_RGB) * len(marks))]
    assert len(set(looks)) == len(looks)  # (colour, symbol): no two sessions alike before the 56th
    assert figures.SESSION_RGB != figures.CLASS_RGB[:len(figures.SESSION_RGB)]


@pytest.mark.parametrize("width, height, upscale, expect", [
    (160, 44, False, (20, 7, 1, False)),   # 160 columns of half blocks: seven full-size digits in a row
    (104, 42, False, (20, 5, 1, False)),
    (104, 40, False, (19, 5, 1, False)),   # not tall enough to stack five at full size: a pixel less
    (78, 36, False, (14, 5, 1, False)),    # a view at 80x24: five over their reconstructions at 14 pixels
    (48, 16, False, (14, 1, 1, True)),     # a corner of 80x24: one pair at 14 pixels
    (1200, 600, True, (140, 5, 2, False)),  # Sixel: every digit, seven times its size
    (300, 200, True, (60, 2, 3, True)),    # a small Sixel panel: fewer, at three times their size
])
def test_digit_layout_prefers_full_size_and_never_goes_under_fourteen_pixels(width, height, upscale, expect):
    layout = figures.digit_layout(10, 20, width, height, label=0 if upscale else 2, upscale=upscale)
    assert (layout.pixels, layout.columns, layout.rows, layout.paired) == expect
    w, h = layout.size()
    assert w <= width and h <= height


def test_digit_layout_keeps_full_size_where_five_cannot_fit_and_shows_every_digit_it_can():
    layout = figures.digit_layout(10, 20, 42, 44, label=2)
    assert layout.pixels == 20 and layout.shown >= 2
    everything = figures.digit_layout(10, 20, 400, 100, label=2)
    assert everything.pixels == 20 and everything.shown == 10
    tiny = figures.digit_layout(10, 20, 10, 10)
    assert tiny.pixels == figures.SMALLEST  # never smaller, even where it does not fit


def test_digit_sheet_puts_each_reconstruction_under_its_digit_at_one_pixel_per_pixel():
    rng = np.random.default_rng(0)
    originals = np.zeros((10, 28, 28), np.uint8)
    originals[:, 4:-4, 4:-4] = (rng.random((10, 20, 20)) * 255).astype(np.uint8)  # MNIST's empty frame
    recons = 255 - originals
    layout = figures.DigitLayout(20, 5, 2, gap=1, label=2)
    sheet = figures.digit_sheet(originals, recons, layout)
    assert sheet.shape == (layout.size()[1], layout.size()[0])
    top = 2 + 40 + 1 + 2  # second row: past the first (label, digit, reconstruction) and the gap, then its label
    np.testing.assert_array_equal(sheet[top:top + 20, 21:41], originals[6, 4:-4, 4:-4])
    np.testing.assert_array_equal(sheet[top + 20:top + 40, 21:41], recons[6, 4:-4, 4:-4])
    paired = figures.digit_sheet(originals, recons, figures.DigitLayout(20, 2, 1, paired=True))
    np.testing.assert_array_equal(paired[:, 21:41], recons[0, 4:-4, 4:-4])


def test_a_denoisers_sheet_shows_each_noisy_input_over_its_reconstruction_over_the_clean_digit():
    rng = np.random.default_rng(1)
    clean = np.zeros((6, 28, 28), np.uint8)
    clean[:, 4:-4, 4:-4] = (rng.random((6, 20, 20)) * 255).astype(np.uint8)
    noisy, recons = (rng.random((6, 28, 28)) * 255).astype(np.uint8), 255 - clean
    layout = figures.DigitLayout(20, 3, 2, gap=1, label=2, stack=3)
    sheet = figures.digit_sheet(clean, recons, layout, noisy)
    assert sheet.shape == (layout.size()[1], layout.size()[0]) == (2 * (2 + 60 + 1) - 1, 3 * 21 - 1)
    top, left = 2 + 60 + 1 + 2, 21  # digit 4: second row, second column
    for k, images in enumerate((noisy, recons, clean)):
        np.testing.assert_array_equal(sheet[top + 20 * k:top + 20 * (k + 1), left:left + 20], images[4, 4:-4, 4:-4])
    assert figures.label_positions(layout)[4] == (2 + 60 + 1, 21)
    from aetui.views.show import digits_figure

    figure = digits_figure(clean / 255, recons / 255, list("012345"), 200, 200, noisy=noisy / 255)
    assert figure.caption.startswith("noisy test digits over their reconstructions over the clean digits")


def test_only_the_empty_part_of_the_frame_is_cropped():
    digits = np.zeros((10, 28, 28), np.uint8)
    digits[:, 4:-4, 4:-4] = 200
    assert figures.empty_border(digits) == 4 and figures.cropped_side(digits) == 20
    digits[3, 2, 14] = 90  # one digit's stroke reaches into the frame: it stays
    assert figures.empty_border(digits) == 2 and figures.crop_border(digits).shape == (10, 24, 24)
    digits[7, 27, 0] = EMPTY - 1  # (a faint pixel counts as empty)
    assert figures.empty_border(digits) == 2
    sheet = figures.digit_sheet(digits, digits, figures.DigitLayout(24, 10, 1, gap=1))
    assert sheet[0, 3 * 25 + 12] == 90  # the stroke, drawn
    assert figures.empty_border(np.ones((5, 8, 8), np.uint8) * 0) == 0  # 8x8 digits have no frame


def test_resize_repeats_pixels_up_and_averages_them_down():
    image = np.arange(16, dtype=np.uint8).reshape(1, 4, 4) * 16
    up = figures.resize(image, 8)
    np.testing.assert_array_equal(up[0, ::2, ::2], image[0])
    np.testing.assert_array_equal(up[0, 1::2, 1::2], image[0])
    down = figures.resize(image, 2)
    assert down[0, 0, 0] == round(np.mean(image[0, :2, :2]))


def test_sweep_sheet_fills_its_space_and_keeps_only_cells_of_legible_size():
    cells = np.zeros((100, 28, 28), np.uint8)
    sheet, n = figures.sweep_sheet(cells, 10, width=156)
    assert n == 10 and sheet.shape == (150, 150)  # 15 pixels a cell: 156 columns used, not 80
    small, n = figures.sweep_sheet(cells, 10, width=78, height=36)
    assert n == 4 and small.shape == (36, 36)  # 36 // 5 = 7 pixels would be under LEGIBLE (8)
    big, n = figures.sweep_sheet(np.zeros((225, 28, 28), np.uint8), 15, width=1000, height=800, upscale=True)
    assert n == 15 and big.shape == (795, 795)  # every cell, 53 pixels a side


def test_scatter_places_each_point_to_the_pixel_in_its_class_colour_inside_its_frame():
    from aetui.views.scatter import FRAME, scatter_image

    points = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.25]])
    labels = np.array([0, 3, 7])
    image, axes = scatter_image(points, labels, 41, 41, dot=0.5)
    found = {tuple(int(v) for v in image[y, x]): (x, y) for y, x in zip(*np.nonzero(image.any(axis=2)))
             if tuple(image[y, x]) != FRAME}
    (x0, y0), (x3, y3), (x7, y7) = (found[figures.class_rgb(c)] for c in (0, 3, 7))
    assert x3 - x0 == y0 - y3 and abs((x7 - x0) - 2 * (y0 - y7)) <= 1  # one scale (to the pixel) on x and y
    assert min(x0, y3) >= 3 and max(x3, y0) <= 37  # inside the frame, with a margin (not on its edge)
    assert all(tuple(image[0, x]) == FRAME and tuple(image[-1, x]) == FRAME for x in range(41))
    smooth, _ = scatter_image(points, labels, 80, 40, dot=2.0)
    brightest = smooth.reshape(-1, 3)[smooth.sum(axis=2).argmax()]
    assert smooth.shape == (40, 80, 3) and tuple(int(v) for v in brightest) in map(tuple, figures.CLASS_RGB)
    edges = smooth[(smooth.sum(axis=2) > 0)]
    assert len({tuple(p) for p in edges}) > 3  # antialiased: dots fade into the background


@pytest.mark.parametrize("width, height", [(75, 36), (36, 75), (600, 380)])
def test_scatter_axes_keep_one_scale_and_every_point_inside_with_a_margin(width, height):
    """A code space twice as wide as tall stays twice as wide on screen whatever the picture's shape;
    the axes' limits hold every point, each dot whole inside the frame."""
    from aetui.views.scatter import MARGIN, scatter_axes

    rng = np.random.default_rng(0)
    points = rng.normal(size=(1000, 2)) * [2.0, 1.0] + [5.0, -3.0]
    dot = 2.0
    axes = scatter_axes(points, width, height, inset=1 + dot)
    xs, ys = axes.place(points)
    edge = 1 + dot + MARGIN * min(width, height)
    assert xs.min() >= edge - 1e-9 and xs.max() <= width - 1 - edge + 1e-9
    assert ys.min() >= edge - 1e-9 and ys.max() <= height - 1 - edge + 1e-9
    assert np.all(axes.low <= points.min(axis=0)) and np.all(axes.high >= points.max(axis=0))
    x_units, y_units = axes.high - axes.low  # the picture's extent in code units, per pixel alike
    assert x_units / (width - 1) == pytest.approx(y_units / (height - 1))
    assert max(xs.max() - xs.min() - (width - 1 - 2 * edge), ys.max() - ys.min() - (height - 1 - 2 * edge)) \
        == pytest.approx(0, abs=1e-6)  # as large as it can be: the points reach the margin on one axis


def test_area_map_colours_each_cell_by_its_class():
    cells = np.array([[0, 1], [2, 9]])
    image = figures.area_map(cells, 4)
    assert image.shape == (8, 8, 3)
    assert tuple(image[0, 0]) == figures.class_rgb(0) and tuple(image[7, 7]) == figures.class_rgb(9)


def test_the_digits_caption_says_where_the_reconstructions_are():
    from aetui.views.show import digits_figure

    digits = np.zeros((10, 28, 28), np.uint8)
    digits[:, 4:-4, 4:-4] = 200
    labels = [str(i) for i in range(10)]
    stacked = digits_figure(digits, digits, labels, 160, 44)
    paired = digits_figure(digits, digits, labels, 104, 40 - 18)  # (too low to stack: side by side)
    assert "over their reconstructions" in stacked.caption
    assert "beside their reconstructions" in paired.caption

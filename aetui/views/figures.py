"""Figures as pixels: the pictures aetui shows and exports, made with numpy (and Pillow for text).

Every image view (digits over their reconstructions, the latent sweep, the area map, the scatter:
`aetui.views.scatter`) is an array made here at an exact size in pixels: H x W (gray, uint8) or H x W x 3 (RGB, uint8).
The terminal draws it (`aetui.ui.widgets.picture`: Kitty or Sixel graphics where the terminal has
them, else two pixels per cell in half blocks) and `aetui export` writes it as a PNG, so the screen
and the file show the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aetui.core.analysis.images import crop, empty_border, shrink, to_u8

CLASS_RGB = [(255, 85, 85), (246, 150, 0), (248, 255, 69), (81, 238, 48), (0, 200, 160), (48, 214, 253),
             (133, 136, 209), (228, 85, 255), (255, 101, 180), (236, 229, 206)]
"""One colour per class, used by every view of classes: chosen to stay apart from each other (CIE76
distance over 40, also in the 256-colour palette terminals fall back to) and bright on a dark
background (CIE lightness over 55); tests/test_figures.py checks both."""
SESSION_RGB = [(80, 200, 255), (255, 200, 40), (240, 100, 240), (90, 230, 90), (255, 90, 90), (130, 130, 255),
               (235, 235, 235)]
"""One colour per session (compare, the session list), apart from the class colours' use: each near one of
the bright ANSI colours, so that in 16 colours they are seven different ones, and apart in 256 colours too
(tests/test_figures.py measures each depth)."""
SESSION_MARKS = "●▲■◆★✚▼✖"
"""One symbol per session beside its colour (eight: with `NO_COLOR` the symbol alone tells them apart)."""
BACKGROUND = (0, 0, 0)
SMALLEST = 14
"""No digit is drawn smaller than this many pixels a side (fewer digits beat illegible ones)."""
FEWEST = 5
"""Digits are drawn at their native size where this many fit (at 80x24 five of them, over their
reconstructions); elsewhere smaller, down to `SMALLEST`, until they do."""
COMFORTABLE = 3
"""With pixels to spare (graphics), digits are drawn at least this many times their size where they
can be, as many as fit; where they cannot, they grow once `MOST_SHOWN_LARGE` of them fit."""
MOST_SHOWN_LARGE = 5
LARGEST = 960
"""No picture drawn in real pixels is wider or taller than this (nor its cells): xterm draws no Sixel image past
its default `maxGraphicSize` of 1000 x 1000 (it leaves it out whole), and none needs more."""


def class_rgb(cls: int) -> tuple[int, int, int]:
    """The colour of class `cls`."""
    return CLASS_RGB[int(cls) % len(CLASS_RGB)]


def session_look(index: int) -> tuple[tuple[int, int, int], str]:
    """The colour and symbol of the `index`-th session shown (56 pairs before one repeats)."""
    return SESSION_RGB[index % len(SESSION_RGB)], SESSION_MARKS[index % len(SESSION_MARKS)]


def crop_border(images: np.ndarray, border: int | None = None) -> np.ndarray:
    """N x H x W images without their empty frame (`empty_border`, or `border` pixels a side)."""
    return crop(images, empty_border(images) if border is None else border)


def cropped_side(images: np.ndarray) -> int:
    """The side in pixels of `images` once `crop_border` has cropped them."""
    return np.asarray(images).shape[1] - 2 * empty_border(images)


def resize(images: np.ndarray, pixels: int) -> np.ndarray:
    """N x h x w images as N x pixels x pixels: area-averaged down, repeated (nearest) up."""
    h, w = images.shape[1:3]
    if (h, w) == (pixels, pixels):
        return images
    if pixels >= h and pixels % h == 0 and h == w:
        k = pixels // h
        return np.repeat(np.repeat(images, k, axis=1), k, axis=2)
    floats = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    if pixels < h:
        out = shrink(floats, pixels, pixels)
    else:  # up by a factor that is not whole: nearest source pixel
        idx = (np.arange(pixels) * h // pixels).astype(int)
        out = floats[:, idx][:, :, idx]
    return to_u8(out)


def tile(images: np.ndarray, columns: int, gap: int = 0, rows: int | None = None) -> np.ndarray:
    """N x H x W (or N x H x W x 3) images in one image, `columns` per row, `gap` background pixels
    between them (row-major; `rows` pads the grid to that many rows)."""
    n, h, w = images.shape[:3]
    rows = rows or -(-n // columns)
    out = np.zeros((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap, *images.shape[3:]), images.dtype)
    for i, img in enumerate(images[:rows * columns]):
        r, c = divmod(i, columns)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = img
    return out


@dataclass(frozen=True)
class DigitLayout:
    """How digits over their reconstructions fill a space: each digit `pixels` a side, `columns`
    per row, `rows` rows; `paired` puts each reconstruction beside its digit instead of under it;
    `stack` images a digit (3 for a denoiser: its noisy input, the reconstruction, the clean digit)."""

    pixels: int
    columns: int
    rows: int
    paired: bool = False
    gap: int = 1
    label: int = 0
    """Pixels above each row kept for the digits' labels (a text row in half blocks)."""
    stack: int = 2

    @property
    def shown(self) -> int:
        return self.columns * self.rows

    def size(self) -> tuple[int, int]:
        """(width, height) of the sheet in pixels."""
        unit_w, unit_h = unit(self.pixels, self.gap, self.paired, self.stack)
        spacing = 2 * self.gap if self.paired else self.gap
        return self.columns * (unit_w + spacing) - spacing, self.rows * (unit_h + self.label + self.gap) - self.gap


def unit(pixels: int, gap: int, paired: bool, stack: int = 2) -> tuple[int, int]:
    """(width, height) in pixels of one digit's `stack` images, side by side (`paired`) or stacked."""
    return (stack * pixels + (stack - 1) * gap, pixels) if paired else (pixels, stack * pixels)


def digit_layout(count: int, native: int, width: int, height: int, *, gap: int = 1, label: int = 0,
                 upscale: bool = False, stack: int = 2) -> DigitLayout:
    """The layout of `count` digits of `native` pixels a side (over their reconstructions) in
    `width` x `height` pixels.

    Digits are drawn at their native size wherever at least `FEWEST` fit (or all, if there are
    fewer), as many as fit; with `upscale` (graphics, where pixels are plentiful) they grow by whole
    factors: as many as fit at `COMFORTABLE` times their size or more, else as large as they can
    be once `MOST_SHOWN_LARGE` of them fit. Where `FEWEST` do not fit at native size, the
    largest size that shows them (as many as fit where not even they do), never under `SMALLEST` pixels. Both
    arrangements are tried: stacked rows (digits over reconstructions) and pairs side by side.
    """
    smallest = min(SMALLEST, native)
    sizes = list(range(native, smallest - 1, -1))
    if upscale:
        sizes = [native * k for k in range(12, 1, -1)] + sizes
    options = []
    for pixels in sizes:
        for paired in (False, True):
            unit_w, unit_h = unit(pixels, gap, paired, stack)
            spacing = 2 * gap if paired else gap
            columns = min(count, max(0, (width + spacing) // (unit_w + spacing)))
            rows = max(0, (height + gap) // (unit_h + label + gap))
            rows = min(rows, -(-count // columns)) if columns else 0
            if columns and rows:
                columns = -(-min(count, columns * rows) // rows)  # balanced rows: 5 + 5, not 8 + 2
                options.append(DigitLayout(pixels, columns, rows, paired, gap, label, stack))
    wanted = min(count, FEWEST)
    full = [o for o in options if o.pixels >= native and min(o.shown, count) >= wanted]
    roomy = [o for o in full if o.pixels >= native * COMFORTABLE] if upscale else full
    if roomy:  # every digit that fits at this size, then as large as they can be
        return max(roomy, key=lambda o: (min(o.shown, count), o.pixels, not o.paired))
    if full:
        return max(full, key=lambda o: (min(o.shown, count, MOST_SHOWN_LARGE), o.pixels, min(o.shown, count),
                                        not o.paired))
    if options:
        return max(options, key=lambda o: (min(o.shown, count, wanted), o.pixels, min(o.shown, count), not o.paired))
    return DigitLayout(smallest, 1, 1, False, gap, label, stack)


def digit_sheet(originals: np.ndarray, recons: np.ndarray, layout: DigitLayout,
                noisy: np.ndarray | None = None) -> np.ndarray:
    """Digits over (or beside) their reconstructions as one gray image laid out by `layout`: the
    first `layout.shown` of the N x H x W images (floats in [0, 1] or bytes), their frame cropped
    as far as all of `originals` leave it empty (the others by as much). With `noisy` (a
    denoiser's inputs; `layout.stack` 3) each digit shows its noisy input, the reconstruction of
    it, and the clean digit."""
    n = min(len(originals), layout.shown)
    border = empty_border(originals)
    order = (originals, recons) if noisy is None else (noisy, recons, originals)
    stacks = [resize(to_u8(crop_border(np.asarray(images[:n]), border)), layout.pixels) for images in order]
    s, g = layout.pixels, layout.gap
    unit_w, unit_h = unit(s, g, layout.paired, len(stacks))
    width, height = layout.size()
    out = np.zeros((height, width), np.uint8)
    for i in range(n):
        r, c = divmod(i, layout.columns)
        top = r * (unit_h + layout.label + g) + layout.label
        left = c * (unit_w + (2 * g if layout.paired else g))
        for k, images in enumerate(stacks):
            y, x = (top, left + k * (s + g)) if layout.paired else (top + k * s, left)
            out[y:y + s, x:x + s] = images[i]
    return out


def label_positions(layout: DigitLayout) -> list[tuple[int, int]]:
    """(row of the label in pixels, left pixel) of each digit shown, in order."""
    unit_w, unit_h = unit(layout.pixels, layout.gap, layout.paired, layout.stack)
    step = unit_w + (2 * layout.gap if layout.paired else layout.gap)
    return [(r * (unit_h + layout.label + layout.gap), c * step) for r in range(layout.rows)
            for c in range(layout.columns)]


LEGIBLE = 8
"""No sweep cell is drawn smaller than this many pixels a side: fewer cells instead. Measured with
`bench/legibility.py` on the real MNIST (a 3-nearest-neighbour reader trained and tested at each
size): test digits shrunk to 8 pixels are read 97.6% as well as at their full 20 (99% at 9 to 16
pixels), and a `vae-2d` sweep's cells are read as at full size as often at 8 pixels (79%) as at 9
to 16 (74-86%: its in-between cells are ambiguous at any size); at 6 pixels both fall (95%, 64%),
at 5 further (89%, 52%). In half blocks 8 pixels are 8 columns by 4 rows."""


def sweep_cells(count: int, width: int, height: int | None, native: int) -> tuple[int, int]:
    """(n, pixels): the largest n x n of a `count` x `count` sweep whose cells of `native` pixels fit
    `width` x `height` pixels (any height where None) at `LEGIBLE` pixels or more, and that size."""
    smallest = min(LEGIBLE, native)
    for n in range(count, 1, -1):
        pixels = min(width, height if height is not None else width) // n
        if pixels >= smallest:
            return n, pixels
    return min(count, 2), max(1, min(width, height if height is not None else width) // 2)


def sweep_sheet(images: np.ndarray, columns: int, width: int, height: int | None = None,
                upscale: bool = False) -> tuple[np.ndarray, int]:
    """The decoded latent grid (N x H x W, `columns` x `columns`) as one gray image filling `width` x
    `height` pixels as far as a square grid can, its frame cropped: all of it where every cell
    keeps `LEGIBLE` pixels, else the largest n x n that does, its rows and columns spread evenly
    over the whole grid (both ends and the middle kept). Cells are drawn at their native size, or
    larger with `upscale` (graphics). Returns (image, n)."""
    images = crop_border(np.asarray(images))
    native = images.shape[1]
    grid = images.reshape(len(images) // columns, columns, *images.shape[1:])
    n, pixels = sweep_cells(min(grid.shape[:2]), width, height, native)
    rows, cols = (np.round(np.linspace(0, side - 1, n)).astype(int) for side in grid.shape[:2])
    shown = grid[rows][:, cols]
    cells = resize(to_u8(shown.reshape(-1, native, native)), pixels if upscale or pixels < native else native)
    return tile(cells, n), n


def area_map(cells: np.ndarray, cell: int) -> np.ndarray:
    """The swept grid's cells (rows x columns of class numbers) as squares of `cell` pixels in the
    class colours, each with its class written in the middle where there is room (RGB)."""
    rows, cols = cells.shape
    colours = np.array([class_rgb(c) for c in range(len(CLASS_RGB))], np.uint8)
    out = np.repeat(np.repeat(colours[cells % len(CLASS_RGB)], cell, axis=0), cell, axis=1)
    if cell >= 12:
        from PIL import Image, ImageDraw

        img = Image.fromarray(out)
        draw = ImageDraw.Draw(img)
        for r in range(rows):
            for c in range(cols):
                draw.text(((c + 0.5) * cell, (r + 0.5) * cell), str(int(cells[r, c])), fill=(0, 0, 0), anchor="mm")
        out = np.asarray(img)
    return out


def key_image(classes: list[int], height: int = 18) -> np.ndarray:
    """A key to the class colours for exported figures: a swatch and the class per row (RGB)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (56, 8 + height * len(classes)), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for row, cls in enumerate(classes):
        top = 8 + row * height
        draw.rectangle([10, top, 21, top + 11], fill=class_rgb(cls))
        draw.text((28, top), str(cls), fill=(230, 230, 230))
    return np.asarray(img)


def with_caption(image: np.ndarray, caption: str, key: np.ndarray | None = None) -> np.ndarray:
    """An exported figure: `image` with `key` at its right (if given) and `caption` below (RGB)."""
    from PIL import Image, ImageDraw

    rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    h, w = rgb.shape[:2]
    key_w = 0 if key is None else key.shape[1]
    canvas = Image.new("RGB", (w + key_w, max(h, 0 if key is None else key.shape[0]) + 16), BACKGROUND)
    canvas.paste(Image.fromarray(rgb), (0, 0))
    draw = ImageDraw.Draw(canvas)
    if key is not None:
        canvas.paste(Image.fromarray(key), (w, 0))
        draw.line([(w, 0), (w, h)], fill=(80, 80, 80))
    draw.text((4, h + 3), caption[: max(8, (w + key_w) // 6)], fill=(200, 200, 200))
    return np.asarray(canvas)

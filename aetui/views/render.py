"""Figures (`aetui.views.figures`: gray or RGB pixel arrays) as terminal cells, as rich `Text`.

Half blocks draw two pixels per cell (`▀`: the upper pixel as its colour, the lower as its
background), so a 20 x 20 digit takes 20 columns and 10 rows. The ASCII ramp, for terminals
without colour, shows the mean gray of a cell's two pixels as a character. Real pixels (Kitty,
Sixel) are drawn by the workbench's `Picture` widget from the same arrays.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text

from aetui.views.figures import class_rgb

RAMP = " .:-=+*#%@"
NOTE_STYLE = Style(color="rgb(170,170,170)", dim=True)


def class_style(cls: int) -> str:
    """The rich colour of class `cls`."""
    r, g, b = class_rgb(cls)
    return f"rgb({r},{g},{b})"


def rgb(image: np.ndarray) -> np.ndarray:
    """A gray (H x W) or RGB (H x W x 3) uint8 image as RGB."""
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)


def cells(image: np.ndarray) -> tuple[int, int]:
    """(columns, rows) of cells an image takes in half blocks."""
    return image.shape[1], -(-image.shape[0] // 2)


def half_block_text(image: np.ndarray, ascii: bool = False,
                    notes: dict[int, list[tuple[int, str]]] | None = None) -> Text:
    """The image as text, two pixels a cell: runs of `▀` in the upper pixel's colour on the lower
    pixel's (`ascii`: a ramp character for the pair's mean gray, no colour). `notes` writes text
    over the picture: cell row -> [(column, text), ...] (labels in the background rows)."""
    pixels = rgb(np.asarray(image, np.uint8))
    if pixels.shape[0] % 2:
        pixels = np.vstack([pixels, np.zeros((1, *pixels.shape[1:]), np.uint8)])
    pairs = pixels.reshape(pixels.shape[0] // 2, 2, pixels.shape[1], 3)
    notes = notes or {}
    out = Text(no_wrap=True, overflow="crop")
    styles: dict[bytes, Style] = {}
    levels = None
    if ascii:
        gray = pairs.mean(axis=(1, 3)) / 255.0
        levels = np.clip(np.round(gray * (len(RAMP) - 1)).astype(int), 0, len(RAMP) - 1)
    for y, (top, bottom) in enumerate(zip(pairs[:, 0], pairs[:, 1])):
        if y:
            out.append("\n")
        written = _overlay(top.shape[0], notes.get(y, []))
        if ascii:
            line = "".join(RAMP[i] for i in levels[y])
            out.append("".join(w or c for w, c in zip(written, line)))
            continue
        keys = np.concatenate([top, bottom], axis=1)
        run, last = 0, None
        for x, key in enumerate(map(bytes, keys)):
            if written[x]:
                key = b"note" + written[x].encode()
            if key != last and run:
                _append(out, last, run, styles)
                run = 0
            last, run = key, run + 1
        if run:
            _append(out, last, run, styles)
    return out


def _overlay(width: int, notes: list[tuple[int, str]]) -> list[str]:
    """Per cell, the note character written there ('' where none)."""
    written = [""] * width
    for column, text in notes:
        for i, ch in enumerate(text):
            if 0 <= column + i < width:
                written[column + i] = ch
    return written


def _append(out: Text, key: bytes, run: int, styles: dict[bytes, Style]) -> None:
    """A run of `run` cells with the same pair of pixels (or the same note character)."""
    if key.startswith(b"note"):
        out.append(key[4:].decode() * run, NOTE_STYLE)
        return
    style = styles.get(key)
    if style is None:
        style = styles[key] = Style(color=f"rgb({key[0]},{key[1]},{key[2]})", bgcolor=f"rgb({key[3]},{key[4]},{key[5]})")
    out.append("▀" * run, style)

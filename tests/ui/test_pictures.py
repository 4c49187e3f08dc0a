"""Pictures in each renderer, forced: what is written for Sixel and Kitty graphics, half blocks and
ASCII; the renderer chosen from the options and from what a terminal answers (on a real pty);
and the screen and `aetui export` showing the same picture."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aetui.core.store import sessions
from aetui.ui.messages import OpenSession
from aetui.ui.widgets.digit_panel import DigitPanel
from aetui.views import figures
from aetui.views.export import export
from aetui.views.replay import Replay
from aetui.views.show import digits_figure
from aetui.views.terminal import Graphics, choose_graphics
from tests.support import ended, mnist_sized, open_recipe, synthetic_session, until
from tests.ui.scripted import ScriptedTrainer

CELL = (10, 20)


async def trained(make_app, graphics: Graphics, size=(160, 48), load=None):
    """An app that trained vae-2d for two scripted epochs with `graphics`, and its pilot."""
    app = make_app(ScriptedTrainer(), load=load)
    app.workbench.graphics = graphics
    context = app.run_test(size=size)
    pilot = await context.__aenter__()
    await open_recipe(pilot, app, "vae-2d")
    from aetui.ui.widgets.param_slider import ParamSlider

    app.screen.query_one("#slider-epochs", ParamSlider).set_value(2)
    await pilot.press("space")
    await until(pilot, lambda: ended(app))
    panel = app.screen.query_one(DigitPanel)
    await until(pilot, lambda: panel.picture.image is not None and (
        not graphics.pixels or panel.picture.children and panel.picture.children[0].image is not None))
    return app, pilot, context, panel


def strips_text(widget) -> str:
    """Everything a widget's lines write to the terminal, escape sequences included."""
    region = widget.region.reset_offset
    return "".join(seg.text for strip in widget.render_lines(region) for seg in strip)


async def test_sixel_writes_the_digits_as_sixel_data_in_their_own_pixels(make_app):
    app, pilot, context, panel = await trained(make_app, Graphics("sixel", "forced", CELL))
    try:
        picture = panel.picture
        await until(pilot, lambda: picture.children[0].children and picture.children[0].children[0].region.area)
        # (its lines are mounted and laid out a frame or two later)
        child = picture.children[0]
        assert type(child).__name__ == "SixelPicture" and child.image.size == (
            picture.styles.width.value * CELL[0], picture.styles.height.value * CELL[1])
        padded = np.asarray(child.image)  # the figure, padded to whole cells: not resampled
        h, w = picture.image.shape
        assert (padded[:h, :w, 0] == picture.image).all() and not padded[h:].any()
        written = strips_text(child.children[0])
        start, end = written.index("\x1bP"), written.index("\x1b\\")
        sixel = written[start:end]  # one DCS sequence: introducer, raster size, palette, rows of sixels
        assert "q\"" in sixel and "-" in sixel
        import re

        defined = re.findall(r"#(\d+);2;\d+;\d+;\d+(#\d+)?", sixel)
        assert defined and all(select == f"#{n}" for n, select in defined)  # each colour selected once defined
    finally:
        await context.__aexit__(None, None, None)


@pytest.mark.parametrize("mode", ["sixel", "halfblock"])
async def test_an_epochs_pictures_are_made_ahead_in_the_training_thread_as_the_screen_would_make_them(make_app, mode):
    """Between epochs the training thread makes the pictures of the panes on screen (`Runner.prepare`);
    the screen shows those, the same as it would have made itself, and makes nothing of its own."""
    from aetui.ui.widgets.digit_panel import ScatterPane
    from aetui.ui.widgets.param_slider import ParamSlider
    from aetui.ui.widgets.picture import Drawing

    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    graphics = Graphics(mode, "forced", CELL) if mode == "sixel" else Graphics(mode, "forced")
    app.workbench.graphics = graphics
    async with app.run_test(size=(160, 48)) as pilot:
        await open_recipe(pilot, app, "vae-2d")
        app.screen.query_one("#slider-epochs", ParamSlider).set_value(2)
        await pilot.press("space")
        panes = [app.screen.query_one(DigitPanel), app.screen.query_one(ScatterPane)]
        await until(pilot, lambda: all(pane.figure is not None for pane in panes))  # epoch 1, made by the screen
        assert all(not pane.ahead for pane in panes)  # (nothing was on screen to make it for)
        trainer.release.set()
        await until(pilot, lambda: ended(app))
        await pilot.pause()
        snapshot = app.runner.state.snapshot
        for pane in panes:
            data, space, figure, drawing = pane.made_ahead(snapshot)
            assert data is snapshot and space == pane.drawn and pane.figure is figure
            assert pane.picture.image is figure.image
            own = pane.make(*pane.drawn)  # what the screen would have made of the same snapshot
            assert np.array_equal(own.image, figure.image) and own.caption == figure.caption
            made = Drawing(own.image, graphics, own.notes)
            if mode == "sixel":
                assert made.sixels == drawing.sixels and "\x1bP" in drawing.sixels
                assert pane.picture.children[0].sixels is drawing.sixels
            else:
                assert made.text == drawing.text and pane.picture.render() is drawing.text


async def test_a_hidden_picture_makes_nothing_until_it_shows(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(80, 24)) as pilot:  # one view at a time: the curves
        await open_recipe(pilot, app, "sparse-kl")
        from aetui.ui.widgets.param_slider import ParamSlider

        app.screen.query_one("#slider-epochs", ParamSlider).set_value(2)
        await pilot.press("space")
        await until(pilot, lambda: ended(app))
        await pilot.pause()
        digits = app.screen.query_one(DigitPanel)
        assert digits.make is not None and digits.figure is None and not digits.ahead
        await pilot.press("2")
        await until(pilot, lambda: digits.figure is not None)
        assert digits.picture.image is not None and digits.data is app.runner.state.snapshot


async def test_kitty_sends_the_image_and_places_it_with_unicode_placeholders(make_app, capfd):
    app, pilot, context, panel = await trained(make_app, Graphics("kitty", "forced", CELL))
    try:
        picture = panel.picture
        child = picture.children[0]
        out = ""
        for _ in range(100):  # until textual-image has drawn it: it writes the protocol to the terminal itself
            out += capfd.readouterr().out
            if "a=p" in out:
                break
            await pilot.pause(0.05)
        assert "\x1b_G" in out and "f=100" in out and "a=p" in out and "U=1" in out
        lines = child.render_lines(child.region.reset_offset)
        assert any(chr(0x10EEEE) in seg.text for strip in lines for seg in strip)
        assert child.image.size == (picture.styles.width.value * CELL[0], picture.styles.height.value * CELL[1])
    finally:
        await context.__aexit__(None, None, None)


async def test_half_blocks_draw_full_size_digits_at_160x48(make_app):
    app, pilot, context, panel = await trained(make_app, Graphics("halfblock", "forced"), load=mnist_sized)
    try:
        assert panel.native == 20  # the empty frame cropped
        shown = int(panel.figure.caption.rsplit("(", 1)[1].split(" of ")[0])
        assert shown >= 5, panel.figure.caption
        text = panel.picture.render()
        assert "▀" in text.plain and panel.picture.image.ndim == 2
        # Full size: 20 columns and 10 rows a digit (its reconstruction 10 more rows under it)
        assert panel.picture.image.shape[1] >= shown * 20 and panel.picture.image.shape[0] >= 2 * 20
        first_row = text.plain.splitlines()[1]
        assert first_row.count("▀") >= shown * 20
    finally:
        await context.__aexit__(None, None, None)


async def test_ascii_draws_a_ramp_without_colour(make_app):
    app, pilot, context, panel = await trained(make_app, Graphics("ascii", "--ascii"))
    try:
        text = panel.picture.render()
        assert "▀" not in text.plain and any(ch in text.plain for ch in "@%#*+=")
        assert not any(span.style for span in text.spans if "rgb" in str(span.style))
    finally:
        await context.__aexit__(None, None, None)


async def test_the_screen_and_the_export_show_the_same_picture(make_app, tmp_path):
    """Both come from `figures.digit_sheet`: the exported digits are the sheet at its native size,
    and the pane's picture is the sheet for its space."""
    path = synthetic_session(Path("sessions"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(OpenSession(path))
        await pilot.pause()
        await pilot.press("2")
        pane = app.screen.query_one("#view-recon")
        await until(pilot, lambda: pane.figure is not None)
        replay = Replay(sessions.open_session(path))
        originals, recons, labels = replay.reconstructions(4)
        columns, rows = pane.space()
        again = digits_figure(originals, recons, labels, columns, 2 * (rows - 1), caption="x")
        np.testing.assert_array_equal(pane.picture.image, again.image)
    export(sessions.open_session(path), tmp_path / "out")
    png = np.asarray(Image.open(tmp_path / "out" / "digits-epoch-0004.png"))
    native = figures.cropped_side(originals)
    sheet = figures.digit_sheet(originals, recons, figures.DigitLayout(native, len(originals), 1))
    np.testing.assert_array_equal(png, sheet)
    assert (png[:native, :native] == figures.to_u8(originals[0])).all()


def test_the_renderer_follows_the_options_and_the_environment(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("AETUI_GRAPHICS", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert choose_graphics().mode == "halfblock" and "not a terminal" in choose_graphics().reason
    assert choose_graphics("ascii").mode == "ascii"
    monkeypatch.setenv("AETUI_GRAPHICS", "sixel")
    chosen = choose_graphics()
    assert chosen.mode == "sixel" and "AETUI_GRAPHICS" in chosen.reason and chosen.cell[0] > 1
    assert choose_graphics("halfblock").mode == "halfblock"  # the option wins over the variable
    assert choose_graphics("kitty", ascii=True).mode == "ascii"  # --ascii keeps working
    monkeypatch.setenv("NO_COLOR", "1")
    assert choose_graphics("sixel").mode == "ascii"  # and so does NO_COLOR
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("AETUI_GRAPHICS", "crayons")
    from aetui.core.errors import AetuiError

    with pytest.raises(AetuiError, match="AETUI_GRAPHICS crayons: choose one of auto, kitty, sixel"):
        choose_graphics()


DETECT = ("from aetui.views.terminal import choose_graphics; g = choose_graphics(); "
          "print('CHOSEN', g.mode, '|', g.reason)")


@pytest.mark.parametrize("answer, tmux, expected", [
    ("\x1b[?63;1;2;4;6;9;15;22c", False, "sixel"),  # xterm -ti vt340
    ("\x1b[?63;1;2;4;6;9;15;22c", None, "halfblock"),  # the same, on a terminal that reports no size
    ("\x1b_Gi=31;OK\x1b\\\x1b[?62;c", False, "kitty"),  # kitty answers the graphics query first
    ("\x1b[?64;1;2;6;9;15;18;21;22c", False, "halfblock"),  # a plain xterm
    ("\x1b[?1;2c", True, "halfblock"),  # tmux 3.3
    ("", False, "halfblock"),  # no answer at all: given up after a moment
])
def test_the_terminal_is_asked_once_before_the_app_starts(answer, tmux, expected):
    """A real pseudo-terminal: the child asks, this test answers as that terminal would."""
    master, slave = pty.openpty()
    if tmux is not None:  # (None: a terminal of no size, where textual-image cannot measure a cell)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 800, 480))  # 10 x 20 pixel cells
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("AETUI_GRAPHICS", None)
    env.pop("NO_COLOR", None)
    env.pop("TMUX", None)
    if tmux:
        env["TMUX"] = "/tmp/tmux-test,1,0"
    child = subprocess.Popen([sys.executable, "-c", DETECT], stdin=slave, stdout=slave, stderr=slave, env=env,
                             start_new_session=True, cwd=Path(__file__).resolve().parents[2])
    os.close(slave)
    seen, answered = "", False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "\n" not in seen.partition("CHOSEN")[2]:  # (the whole line)
            if select.select([master], [], [], 0.5)[0]:
                try:
                    seen += os.read(master, 65536).decode("utf-8", "replace")
                except OSError:
                    break
            if not answered and "\x1b[c" in seen:
                answered = True
                assert ("\x1b_G" in seen) == (tmux is not True)  # no graphics query inside tmux
                if answer:
                    os.write(master, answer.encode())
        child.wait(timeout=30)
    finally:
        child.kill()
        os.close(master)
    assert f"CHOSEN {expected}" in seen, seen

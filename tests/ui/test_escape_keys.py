"""Escape and the key typed right after it, read by Textual's terminal parser as one Alt+key (an ESC
and a letter within its 100 ms; in tmux within 500 ms; longer while training holds the GIL): both
keys act, in order (`aetui.ui.keys`)."""

import time
from pathlib import Path

from textual import constants
from textual._xterm_parser import XTermParser

from aetui.core import ranking
from aetui.ui.messages import OpenSession
from aetui.ui.screens.home import HomeScreen
from aetui.ui.screens.replay import ReplayScreen
from tests.support import synthetic_session, until


def typed(app, data: str) -> list:
    """What the terminal driver sends the app for the bytes `data` read at once: its parser's keys,
    once nothing more has come within its Escape delay (its input thread's `tick`)."""
    parser = XTermParser()
    keys = list(parser.feed(data))
    time.sleep(constants.ESCAPE_DELAY * 1.5)
    keys += list(parser.tick())
    for key in keys:
        key.set_sender(app)
        app.post_message(key)
    return keys


async def test_escape_then_a_key_read_as_alt_key_acts_as_both(make_app):
    path = synthetic_session(Path("sessions"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(OpenSession(path))
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        assert [k.key for k in typed(app, "\x1bo")] == ["alt+o"]  # (the parser's reading of ESC, o)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))  # Escape: back home
        home = app.screen
        await until(pilot, lambda: home.order != "newest")  # then o: the next order (newest first by default)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and home.order == ["newest", *ranking.CHOICES][1]
        typed(app, "\x1b2")  # Escape on home does nothing; 2 neither: no view opens, nothing breaks
        await pilot.pause()
        assert app.screen is home

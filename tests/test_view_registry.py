"""A view of a saved session is named in one place (`aetui.views.registry`): the replay has a tab
and a key for each view there and no other, `aetui show --view` offers exactly them, each renders
from a session written by the real writer, and `aetui export` writes the pictures of those that
have one and apply to the session (the area map for 2-D codes only)."""

from __future__ import annotations

import argparse

import pytest

from aetui.core.store import sessions
from aetui.views.export import export
from aetui.views.registry import NAMED, NAMES, VIEWS, figure, render_view
from aetui.views.replay import Replay
from tests.support import synthetic_session


def test_the_registry_names_each_view_and_key_once():
    assert len(set(NAMES)) == len(VIEWS) == len({v.key for v in VIEWS})
    assert all((v.table is None) != (v.picture is None) for v in VIEWS), "a view is a table or a picture"
    assert all(bool(v.png) == bool(v.file) for v in VIEWS)


def test_the_replay_has_a_tab_and_a_key_for_each_view():
    from aetui.ui.screens.replay import ReplayScreen

    tabs = {b.key: b.action for b in ReplayScreen.BINDINGS if b.action.startswith("tab(")}
    assert tabs == {v.key: f"tab('{v.name}')" for v in VIEWS}
    (keys, said), = [row for row in ReplayScreen.HELP if row[1].startswith("switch view")]
    assert all(f"{v.key} {v.title}" in said for v in VIEWS)


def test_aetui_show_offers_each_view():
    from aetui.cli import _parser

    show = next(a for a in _parser()._subparsers._group_actions if isinstance(a, argparse._SubParsersAction))
    (view,) = [a for a in show.choices["show"]._actions if a.dest == "view"]
    assert tuple(view.choices) == NAMES and view.default in NAMES


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = tmp_path_factory.mktemp("sessions")
    synthetic_session(store, "flat-vae", epochs=2, code=2)
    synthetic_session(store, "wide-ae", epochs=2, code=8, kind="ae")
    return store


@pytest.mark.parametrize("name", ["flat-vae", "wide-ae"])
def test_each_view_renders_in_text_and_each_picture_in_pixels(store, name):
    replay = Replay(sessions.open_session(store / name))
    for view in VIEWS:
        if not view.applies(replay, 2):
            continue  # (an 8-D code has no area map: the view says so, tests/test_show_export.py)
        assert render_view(replay, view.name, 2, 100, 40) is not None
        assert render_view(replay, view.name, 2, 100, 40, ascii=True) is not None
        if view.picture is not None:
            assert figure(replay, view, 2, 60, 30, pixels=True, cell=(8, 16)).image is not None


@pytest.mark.parametrize("name, code", [("flat-vae", 2), ("wide-ae", 8)])
def test_export_writes_the_pictures_of_the_views_that_apply(store, tmp_path, name, code):
    written = {p.name for p in export(sessions.open_session(store / name), tmp_path / "out")}
    pictured = {f"{v.file}-epoch-0002.png" for v in VIEWS if v.png is not None}
    expected = pictured if code == 2 else pictured - {f"{NAMED['area'].file}-epoch-0002.png"}
    assert {n for n in written if n.endswith("-epoch-0002.png") and not n.startswith("recon")} == expected

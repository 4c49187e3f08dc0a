"""Snapshot tests use the UI tests' app factory."""

from tests.ui.conftest import make_app  # noqa: F401  (a fixture, re-exported)

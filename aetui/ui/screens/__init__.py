"""The workbench's screens and dialogs: `home` (recipes and sessions), `train` (the live run and its
sliders) with `train_run` (the run it starts and steers, apart from how it is drawn), `replay` (a
saved session's views at any epoch), `compare` (sessions side by side), `dialogs`, and `base` (what
every screen shares: the error policy, help from its bindings). A screen posts messages up to the
app and imports widgets, views and the domain; never the app.
"""

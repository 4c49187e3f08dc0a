"""The domain: plain Python and numpy; Keras and TensorFlow are imported lazily, inside the functions
that need them, so importing `aetui.core` is cheap. Nothing here imports Textual, rich, plotext, the
views, the workbench or the commands.

Its roles are packages, one over another: `sweeps` over `training` over `control` over `analysis`
and `families` over `store`. At this level is the vocabulary they share: `errors`, `text` (text from
others' files made safe to show), `hparams` (every range, checked once), `recipe`, `conventions`
(what each loss part sums and averages, in words), `events` (what a run says), `runstate` (the state
of a run folded from its events), `ranking` (which figure ranks sessions), `data` and `idx` (the
datasets), `backend` (TensorFlow set up for this machine).
"""

"""Control of a run from outside its process: `channel` is a running session's control channel
(commands, answers, the progress record; the trainer's end), `remote` its sender's end (`aetui
tune`, the controls of an attached run), `follow` a run another process trains, read as events,
`background` `--detach` and a run handed over to a background process, `plans` the changes a
running session is asked to make later (`aetui tune --at-epoch`, `--cancel`). It may import the store and
the vocabulary at the top of `aetui.core`; never training (the trainer imports the channel, not the
other way round), the sweeps, analysis or the families.
"""

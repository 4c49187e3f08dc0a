"""Sweeps: `sweep` makes a sweep's grid of values, its trials and its manifest in the store, `backends`
runs the trials (a process pool here, or Ray), `worker` is one trial in its process, `standings` the
trials as the views show them (their figures, progress and values, best first). It sits over
training and may import the rest of `aetui.core`; nothing in `aetui.core` imports it.
"""

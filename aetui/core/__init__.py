"""The domain: recipes, datasets, model families, training, sessions, analysis.

Nothing here imports Textual, rich or plotext; Keras and TensorFlow are imported lazily,
inside the functions that need them, so importing `aetui.core` is cheap.
"""

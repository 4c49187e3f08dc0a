"""aetui: a terminal workbench for training and understanding autoencoders."""

__version__ = "0.1.0"

"""What a session, a run and their figures look like, without Textual: `registry` names every view of a
saved session once (for the replay, `aetui show` and `aetui export`), `replay` reads a saved session
as the views need it (numpy alone), `show` makes each picture view a `Figure`, `tables` the views
that are tables (`fitted`: a table fitted to its width, no number cut), `figures` every picture as
pixels (`scatter`: the scatter's axes and picture), `render` pixels as terminal cells, `formats` how
numbers read, `export` a session as PNG, CSV and TensorBoard files, `console` the commands' console
output, `terminal` what the terminal can draw. The workbench, `aetui show` and `aetui export` draw
with the same functions. It may import `aetui.core`, rich, numpy and Pillow; never Textual, the
workbench or the commands.
"""

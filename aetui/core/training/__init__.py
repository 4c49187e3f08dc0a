"""Training: `trainer` trains and resumes a session (the model built from its recipe, the data, Keras's
`fit`), `engine` holds the loop's callbacks (one job each), each holding only the parts of the run
it uses: `parts` (how far it is, where its time went, what it writes and reports, why it stops),
`keeping` (which epochs' state stay), `live` (the values changed while it trains); `run` assembles
them and ends the run; `controls` the live hyperparameters behind a Keras-free object,
`evaluate` a session's model rebuilt and measured for `aetui eval`, `lineage` sessions made from
others (`aetui rerun`: the same run again, every recorded change at its step; `aetui branch`: on
from a kept epoch). It is the one role that runs a
model's `fit`; it may import the store (it writes sessions), the control channel (the commands a
running session obeys), the families, analysis and the vocabulary at the top of `aetui.core`, never
the sweeps.
"""

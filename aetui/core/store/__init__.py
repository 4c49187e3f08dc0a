"""The session store: a session's files and how they are written, read and listed. `files` is the one
way to open, read and write a file that someone else may have made (bounded reads, atomic writes, no
links); `paths` the recipe folders, the store and safe names; `locks` who holds a session or a
sweep; `meta` `session.json` as a typed record; `sessions` the reader (the format is declared there);
`summary` a session's summary; `listing` the listing that reads the summaries, and the store's
index that makes it quick; `writer` the writer; `arrays` a session's arrays checked before use; `evaluations`
`aetui eval`'s figures as the session keeps them. It may import the vocabulary at the top of
`aetui.core` (errors, text, events, recipe, hparams, ranking) and nothing of training, control,
sweeps, analysis or the families: a session is read without knowing how it was made.
"""

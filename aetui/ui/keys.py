"""Keys typed just after Escape.

A terminal without the kitty keyboard protocol (xterm, tmux) sends Escape as a lone ESC byte, and
an Alt+key as ESC and the key. Textual's parser tells them apart by time only: an ESC followed by
a letter or digit within its `ESCDELAY` (100 ms, plus up to one 100 ms turn of its input thread's
`select`) is read as that key with Alt (`alt+o`), and both keys are lost where nothing binds it.
The window grows while training holds the GIL (the input thread reads ESC and the key in one
read), and in tmux, which itself sends ESC and a key typed within its `escape-time` (500 ms by
default) as Meta+key. aetui binds no Alt key, so such a key is what the user typed: Escape, then
the key (`typed_after_escape`).
"""

from __future__ import annotations

from textual import events


async def typed_after_escape(app, event: events.Key) -> None:
    """A key of the form `alt+<letter or digit>` that reached the app unhandled: sent on again as
    the two keys typed, Escape and then the key (as the terminal driver sends keys)."""
    character = event.character or ""
    if not event.key.startswith("alt+") or len(character) != 1 or not character.isalnum():
        return
    event.stop()
    for key, char in (("escape", "\x1b"), (character, character)):
        again = events.Key(key, char)
        again.set_sender(app)
        app.post_message(again)

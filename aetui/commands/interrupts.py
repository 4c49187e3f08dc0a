"""How a command takes Ctrl-C where the default way is not safe (imports the standard library
alone: it runs before numpy or TensorFlow start a thread)."""

from __future__ import annotations

import _thread
import signal
import threading


def sigint_through_one_thread() -> None:
    """Ctrl-C for `aetui eval`, called on the main thread with SIGINT blocked (`cli.main` blocks it
    before numpy is imported, so numpy's and TensorFlow's threads inherit it blocked): one thread
    waits for it and hands it to the main thread's Python handler (`_thread.interrupt_main`;
    nothing where it is ignored). Delivered to any thread mid-computation, it aborted the process
    now and then under load (glibc's heap check, before any handler of ours ran: 2 in 50
    interruptions beside two CPU-bound processes; none in 130 so)."""

    def forward() -> None:
        while True:
            signal.sigwait({signal.SIGINT})
            _thread.interrupt_main(signal.SIGINT)

    threading.Thread(target=forward, name="aetui-sigint", daemon=True).start()

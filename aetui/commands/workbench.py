"""The workbench: `aetui` alone, `aetui open SESSION` (its replay; a running one: attached) and
`aetui compare SESSION...` (side by side; one name of a sweep: its trials)."""

from __future__ import annotations

import os

from aetui.commands.listing import session_named
from aetui.core.errors import AetuiError
from aetui.core.store import paths
from aetui.views import terminal


def workbench(args) -> int:
    """Open the Textual workbench on the sessions (or the sweep) named, and run it to its end."""
    missing = [name for fd, name in ((0, "standard input"), (2, "standard error")) if not os.isatty(fd)]
    if missing:  # (Textual reads its keys from 0 and draws on 2)
        raise AetuiError(f"the workbench needs a terminal, and its {' and its '.join(missing)} "
                         f"{'is' if len(missing) == 1 else 'are'} not one here (a pipe or a file); run it in a "
                         "terminal, or train without one: aetui train RECIPE")
    from aetui.core import data
    from aetui.core.sweeps import sweep
    from aetui.ui.app import AetuiApp
    from aetui.ui.running import run_in_this_process

    opening, store, group = [], paths.session_store(args.sessions), None
    if args.command in ("open", "compare"):
        names = [args.session] if args.command == "open" else args.names
        if len(names) == 1 and sweep.find(store, names[0]) is not None:  # a whole sweep
            group = names[0]
        else:
            opening = [session_named(args, name).path for name in names]
    graphics = terminal.choose_graphics(args.graphics, args.ascii)
    app = AetuiApp(store, data.loader(args.dataset, args.data, args.limit), gpu=args.gpu, opening=opening,
                   sweep=group, graphics=graphics, on_hangup=args.on_hangup)
    return run_in_this_process(app)

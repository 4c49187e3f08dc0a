"""The `aetui` commands, one module per subcommand or close group, each a function that takes the
parsed arguments and returns the exit status: `train` (train, resume), `evaluate` (eval), `sweep`,
`control` (tune, pause, continue, stop), `lineage` (rerun, branch), `schedule`, `show`, `export`,
`listing` (recipes, ls, and the session a command names) and `workbench` (the workbench: no command, open, compare);
`interrupts` is how `eval` takes Ctrl-C. `aetui.cli` parses the
command line and picks one. They sit over everything (the workbench, the views, the domain); nothing
but the command line imports them.
"""

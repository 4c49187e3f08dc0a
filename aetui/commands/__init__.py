"""The `aetui` commands, one module per subcommand or close group, each taking the parsed arguments and
returning an exit status: `train` (train, resume), `sweep`, `listing` (show, export, recipes, ls).
`aetui.cli` parses the command line and calls them. They sit over everything (the workbench, the
views, the domain) and nothing but the command line imports them.
"""

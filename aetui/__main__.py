"""`python -m aetui` is the same as the `aetui` command."""

from aetui.cli import main

raise SystemExit(main())

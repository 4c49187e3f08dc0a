"""The Textual workbench: `app` opens the screens the others ask for (`messages`) and owns the one run
(`runner`), `workbench` is what the screens share, `lifecycle` the objects of the app's life around
them (its warm-up, its quitting, its watch on the terminal), `running` the app in this process to
its end; `screens/` and `widgets/` hold the rest, `app.tcss` the styles. It may import the views and
the domain, Textual and textual-plotext; never the commands (they sit over it).
"""

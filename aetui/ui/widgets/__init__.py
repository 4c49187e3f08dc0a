"""The workbench's own widgets, each drawing one thing from what it is handed: `param_slider`,
`loss_chart`, `sparsity_panel`, `picture` (Kitty, Sixel or half blocks), `figure_pane`,
`digit_panel`, `view_pane` and `row_table`. They may import Textual, textual-plotext, the views and
the domain's data types; never a screen or the app.
"""

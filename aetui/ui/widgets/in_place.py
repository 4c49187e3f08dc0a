"""Updating a `Static` in place: the layout pass `Static.update` asks for by default arranges and
repaints the whole screen, most of an epoch's redraw; it is needed only where the widget's size
follows its content (`width: auto`, `height: auto`) and the new content takes another size than
the old (measured as Textual measures it, at the widget's width)."""

from __future__ import annotations

from textual.widgets import Static


def update_in_place(widget: Static, content) -> None:
    """`widget.update(content)`, with a layout pass only where the widget's auto width or height
    changes with it (one not laid out yet gets one as before; a hidden one none: showing it lays
    it out)."""
    if not widget.display:
        widget.update(content, layout=False)
        return
    width = widget.content_size.width
    if not widget.is_mounted or not width:
        widget.update(content)
        return
    container, viewport = widget.container_size, widget.screen.size
    auto = [scalar is not None and scalar.is_auto for scalar in (widget.styles.width, widget.styles.height)]

    def size() -> tuple[int | None, int | None]:
        return (widget.get_content_width(container, viewport) if auto[0] else None,
                widget.get_content_height(container, viewport, width) if auto[1] else None)

    before = size()
    widget.update(content, layout=False)
    if size() != before:
        widget.refresh(layout=True)

"""Text read from files anyone may have written, made safe to show: control characters (which a
terminal obeys: ESC sequences that set its title, clear the screen or write the clipboard) and
lone surrogates (which no terminal encoding can write) become U+FFFD."""

from __future__ import annotations

import re
from typing import Any

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline, DEL, and the C1 controls."""
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """`text` with every control character and lone surrogate replaced by U+FFFD."""
    if text.isprintable():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return CONTROL.sub(REPLACEMENT, text)


def printable_data(value: Any) -> Any:
    """Parsed JSON with every string (keys too) made `printable`."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(k): printable_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_data(v) for v in value]
    return value

"""Modal dialogs that return a value: a yes/no question, a name, and the key help."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """Asks a yes/no question; returns True for yes."""

    BINDINGS = [Binding("y", "answer(True)", "yes"), Binding("n,escape", "answer(False)", "no")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ChoiceDialog(ModalScreen[str | None]):
    """Asks to choose one of a few answers, each a button and a key; returns the answer's value."""

    def __init__(self, question: str, answers: list[tuple[str, str, str]]):
        """`answers`: (value, button label, key) each."""
        super().__init__()
        self.question, self.answers = question, answers
        self.keys = {key: value for value, _, key in answers}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="question")
            with Vertical(classes="buttons choices"):
                for n, (value, label, _) in enumerate(self.answers):
                    yield Button(label, id=f"answer-{value}", variant="error" if n == 0 else "primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("answer-"))

    def on_key(self, event) -> None:
        if event.key in self.keys:
            event.stop()
            self.dismiss(self.keys[event.key])


class NameDialog(ModalScreen[str | None]):
    """Asks for a name; returns it, or None if cancelled."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, prompt: str, value: str = "", hint: str = "Enter to save, Escape to cancel"):
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.prompt))
            yield Input(self.value, id="name")
            yield Static(Text(self.hint), classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def key_help(screen, extra: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(keys, what they do) for every binding of `screen` that says what it does, in the order
    declared, then `extra` (keys handled by widgets): the help is made from the bindings."""
    rows = []
    for binding in screen.BINDINGS:
        if isinstance(binding, Binding) and binding.description:
            keys = [screen.app.get_key_display(Binding(key.strip(), binding.action)) for key in binding.key.split(",")]
            rows.append((", ".join(dict.fromkeys(keys)), binding.tooltip or binding.description))
    return rows + list(extra)


class HelpDialog(ModalScreen[None]):
    """Lists the keys of the screen it was opened from (`key_help`)."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "close")]

    def __init__(self, title: str, screen, extra: list[tuple[str, str]] = ()):
        super().__init__()
        self.title_text = title
        self.keys = key_help(screen, extra)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column(ratio=1)
        for keys, what in self.keys:
            table.add_row(keys, what)
        with Vertical(classes="dialog help"):
            yield Label(Text(self.title_text), classes="title")
            yield Static(table)
            yield Static("Escape closes this help", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)

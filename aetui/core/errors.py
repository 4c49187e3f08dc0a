"""The one exception type that reaches a person: a user error with a message that names the fix."""


class AetuiError(Exception):
    """A problem with what the user gave us (a recipe, a value, a path, a session).

    The message is one line, meant to be printed as it is, without a traceback.
    """

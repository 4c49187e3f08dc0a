"""The one exception type that reaches a person: a user error with a message that names the fix."""


class AetuiError(Exception):
    """A problem with what the user gave us (a recipe, a value, a path, a session).

    The message is one line, meant to be printed as it is, without a traceback.
    """


def cannot_write(where, err: OSError) -> str:
    """Why a write into the store failed (`err`), and what to do, in one line."""
    import errno

    reason = err.strerror or str(err)
    if getattr(err, "hint", None):  # (files.NotRegular, files.CapReached)
        hint = err.hint
    elif err.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free space"
    elif err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "it is read-only to you: pass --sessions DIR with a folder you can write"
    elif err.errno == errno.ELOOP:
        reason, hint = "a link was put where aetui writes", "aetui writes through no link"
    else:
        hint = "free space or pass --sessions DIR with a writable folder"
    return f"cannot write to {where}: {reason}; {hint}"


def install_hint(extra: str) -> str:
    """The command that adds `extra` (`ray`) to this aetui, from where it was installed: its
    checkout (`pip install -e '/path/to/aetui[ray]'`), its wheel file, or the package index, with
    the pip of the Python running it (PEP 610's `direct_url.json` says which)."""
    import json
    import shlex
    import sys
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    target = f"aetui[{extra}]"
    try:
        url = json.loads(metadata.distribution("aetui").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        url = {}
    where = unquote(urlparse(str(url.get("url", ""))).path) if str(url.get("url", "")).startswith("file:") else ""
    editable = bool(url.get("dir_info", {}).get("editable")) if isinstance(url.get("dir_info"), dict) else False
    if where:
        target = f"{where}[{extra}]"
    return f"{shlex.quote(sys.executable)} -m pip install {'-e ' if editable else ''}{shlex.quote(target)}"

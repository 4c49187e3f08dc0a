"""Files of a session store, read and written with care: the store is shared, and a file in it may
have been put there by someone else, or by nobody sane.

Writes go to a temporary name beside the target, are synced, renamed into place, and the folder
is synced after the rename, so a kill or a power loss leaves the old file or the new one, whole.
Reads take regular files only, never follow a link, and stop at a size cap.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aetui.core.errors import AetuiError

MB = 1 << 20


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()
"""Files are readable as any new file of the user is (mkstemp alone would make them private)."""


def sync_folder(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable (fsync of the folder itself)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, sync it, rename it to `path`, and
    sync the folder."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.name)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1), encoding="utf-8"))


def npz_bytes(arrays: dict) -> bytes:
    """A compressed `.npz` of `arrays`, made in memory."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def write_arrays(path: Path, arrays: dict) -> None:
    """Write a compressed `.npz` atomically."""
    data = npz_bytes(arrays)
    atomic(path, lambda tmp: tmp.write_bytes(data))


class Folder:
    """A folder held open and written through its handle (`openat` and friends): every name is
    looked up in the folder the handle was opened on, never through a link, so a link planted at
    the folder's path or in place of a subfolder after it was opened cannot send a write, or a
    deletion, anywhere else. Files are written to a temporary name, synced, renamed into place,
    and the folder synced after the rename."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    @classmethod
    def open(cls, path: Path) -> Folder:
        """Hold the folder at `path` (an OSError where it is a link or no folder)."""
        return cls(path, os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW))

    def sub(self, name: str) -> Folder:
        """Hold the subfolder `name`, made if need be (an OSError where it is a link)."""
        try:
            os.mkdir(name, 0o777, dir_fd=self.fd)
        except FileExistsError:
            pass
        return Folder(self.path / name, os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=self.fd))

    def write(self, name: str, data: bytes) -> None:
        """Replace the file `name` with `data`, atomically (a link at `name` is replaced, not followed)."""
        import secrets

        tmp = f".tmp-{secrets.token_hex(4)}-{name}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE, dir_fd=self.fd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            self.unlink(tmp)
            raise
        self.sync()

    def append(self, data: bytes, name: str) -> None:
        """Append `data` to the file `name` in one write call, and sync it (never through a link)."""
        fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE, dir_fd=self.fd)
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(f"only {written} of {len(data)} bytes of a line were written")
            os.fsync(fd)
        finally:
            os.close(fd)

    def unlink(self, name: str) -> None:
        """Delete the file `name` here, if there (a link is deleted itself, its target left alone)."""
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def names(self) -> list[str]:
        """The names in the folder."""
        return os.listdir(self.fd)

    def sync(self) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def check_regular(path: Path, limit: int, label: str | None = None) -> None:
    """An error unless `path` is a regular file (no link, FIFO or device) of at most `limit` bytes:
    for files another library reads by path (HDF5 weights)."""
    label = label or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise AetuiError(f"{label} is a link; aetui reads no links in a session" if err.errno == 40 else
                         f"{label} cannot be read: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise AetuiError(f"{label} is not a regular file")
    if info.st_size > limit:
        raise AetuiError(f"{label} is {info.st_size / MB:.0f} MB, over the {limit / MB:.0f} MB a file of its kind "
                         "may be")


def read_bytes(path: Path, limit: int, label: str | None = None) -> bytes:
    """The contents of a regular file at `path` (a link, a FIFO, a device or a folder is refused, as
    is anything over `limit` bytes); `FileNotFoundError` where there is none. Errors name `label`."""
    label = label or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as err:
        if err.errno == 40:  # ELOOP: the last part of the path is a link
            raise AetuiError(f"{label} is a link; aetui reads no links in a session") from None
        raise AetuiError(f"{label} cannot be read: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AetuiError(f"{label} is not a regular file")
        if info.st_size > limit:
            raise AetuiError(f"{label} is {info.st_size / MB:.0f} MB, over the {limit / MB:.0f} MB a file of its "
                             "kind may be")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 4 * MB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise AetuiError(f"{label} grew past the {limit / MB:.0f} MB a file of its kind may be")
        return data
    except OSError as err:
        raise AetuiError(f"{label} cannot be read: {err.strerror or err}") from None
    finally:
        os.close(fd)


class Arrays(Mapping):
    """The arrays of an `.npz`, each read when first asked for. Every array's header is read at
    once: one of Python objects (a pickle) is refused, as is one that would inflate past `limit`
    bytes (a small file can hold a huge array)."""

    def __init__(self, raw: bytes, label: str, limit: int):
        import io
        import zipfile

        self.label, self.limit, self._loaded = label, limit, {}
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(raw))
            self._names = {n[:-4]: n for n in self._zip.namelist() if n.endswith(".npy")}
            for key in self._names:
                self._check(key)
        except AetuiError:
            raise
        except Exception as err:  # zipfile, zlib and numpy each raise their own kinds for damage
            raise AetuiError(f"{label} is damaged ({type(err).__name__}: {str(err)[:120]})") from None

    def _check(self, key: str) -> None:
        """Refuse the array `key` from its header alone: objects, or too many bytes."""
        import numpy as np

        with self._zip.open(self._names[key]) as member:
            version = np.lib.format.read_magic(member)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(member)
        if dtype.hasobject:
            raise AetuiError(f"{self.label}: {key} holds Python objects (a pickle), which aetui never loads")
        size = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if size > self.limit:
            raise AetuiError(f"{self.label}: {key} would take {size / MB:.0f} MB, over the {self.limit / MB:.0f} MB "
                             "an array may be")

    def __getitem__(self, key: str):
        if key not in self._loaded:
            if key not in self._names:
                raise KeyError(key)
            self._loaded[key] = self._read(key)
        return self._loaded[key]

    def _read(self, key: str):
        import numpy as np

        info = self._zip.getinfo(self._names[key])
        if info.file_size > self.limit:
            raise AetuiError(f"{self.label}: {key} inflates to {info.file_size / MB:.0f} MB, over the "
                             f"{self.limit / MB:.0f} MB an array may be")
        try:
            with self._zip.open(info) as member:
                return np.lib.format.read_array(member, allow_pickle=False)
        except Exception as err:
            raise AetuiError(f"{self.label}: {key} is damaged ({type(err).__name__}: {err})") from None

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

"""One way to open a file in the session store, for every process that reads or writes one (the
workbench, the command line, a detached trainer, a sweep worker, the control channel, the detach
handshake, the follower of an attached run). The store is shared: any name in it may hold a link,
a FIFO, a device, a folder or a file of any size, put there by a co-user or by nobody sane. So a
store file is opened here and nowhere else (tests/test_one_way_in.py walks the source for any
other way in): relative to a folder's descriptor (`Folder`, opened with `O_NOFOLLOW`), with
`O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC` (a link is refused, a FIFO cannot block the open, no
descriptor leaks into a child), then `fstat`: a regular file only, read up to a cap, appended to
up to a cap. A whole file is written to a new temporary name (`O_EXCL`), synced, renamed into
place and its folder synced; a file that must be new is made with `O_EXCL`.

A refusal to read is an `AetuiError` naming the file; a refusal to write an `OSError`, as a
full disk is (`errors.cannot_write` words it): the trainer stops cleanly either way."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from aetui.core.errors import AetuiError

MB = 1 << 20
_SAFE = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
READ = os.O_RDONLY
APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT
NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL
LOCK = os.O_RDWR | os.O_CREAT
_MASK = os.umask(0o022)
os.umask(_MASK)
FILE_MODE = 0o666 & ~_MASK
"""Files are readable as any new file of the user is."""


class NotRegular(OSError):
    """A name aetui reads or writes holds no regular file (a FIFO, a device, a socket, a folder)."""

    hint = "aetui reads and writes regular files only"

    def __init__(self, name: str):
        super().__init__(errno.EINVAL, f"{name} is not a regular file (a FIFO, a device or a folder was put in "
                                       "its place)")


class CapReached(OSError):
    """An append would take a file past its cap (a reader would refuse the file)."""

    hint = "nothing was written past it"

    def __init__(self, name: str, cap: int):
        super().__init__(errno.EFBIG, f"{name} reached its cap of {cap / MB:,.0f} MB")


def open_file(name: str | os.PathLike, flags: int, dir_fd: int | None = None,
              mode: int = FILE_MODE) -> tuple[int, os.stat_result]:
    """Open the regular file `name` (in the folder `dir_fd`, if given) with `flags` and
    `O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC`: its descriptor and `fstat`. A link is an OSError
    (ELOOP), anything but a regular file a `NotRegular`; nothing here can block."""
    try:
        fd = os.open(name, flags | _SAFE, mode, dir_fd=dir_fd)
    except OSError as err:
        if err.errno == errno.ENXIO:  # (a FIFO nobody reads, opened to write; a socket)
            raise NotRegular(os.fsdecode(name)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(os.fsdecode(name))
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def open_dir(name: str | os.PathLike, dir_fd: int | None = None, follow: bool = False) -> int:
    """A descriptor on the folder `name` (`follow`: even through a link, for a store the user
    named); a link is an OSError (ELOOP), as it is for a file."""
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW),
                       dir_fd=dir_fd)
    except NotADirectoryError:
        if not follow and stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            raise OSError(errno.ELOOP, f"{os.fsdecode(name)} is a link") from None
        raise


def _read(fd: int, size: int, limit: int, label: str) -> bytes:
    if size > limit:
        raise AetuiError(f"{label} is {size / MB:,.0f} MB, over the {limit / MB:,.0f} MB a file of its kind may be")
    chunks, left = [], limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 4 * MB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise AetuiError(f"{label} grew past the {limit / MB:,.0f} MB a file of its kind may be")
    return data


def read_at(dir_fd: int | None, name: str | os.PathLike, limit: int, label: str | None = None) -> bytes:
    """The contents of the regular file `name` (in `dir_fd`), at most `limit` bytes: a link, a FIFO,
    a device, a folder or a larger file is an `AetuiError` naming `label`; `FileNotFoundError`
    where there is none."""
    label = label or os.fsdecode(name)
    try:
        fd, info = open_file(name, READ, dir_fd)
    except FileNotFoundError:
        raise
    except NotRegular:
        raise AetuiError(f"{label} is not a regular file") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise AetuiError(f"{label} is a link; aetui reads no links in a session") from None
        raise AetuiError(f"{label} cannot be read: {err.strerror or err}") from None
    try:
        return _read(fd, info.st_size, limit, label)
    except OSError as err:
        raise AetuiError(f"{label} cannot be read: {err.strerror or err}") from None
    finally:
        os.close(fd)


def read_bytes(path: Path, limit: int, label: str | None = None) -> bytes:
    """`read_at` of a file named by its path (a recipe, a data file, a sweep's manifest)."""
    return read_at(None, path, limit, label or str(path))


def read_in(folder: Path, relative: str, limit: int, label: str | None = None) -> bytes:
    """`read_at` of `relative` (`history.jsonl`, `snapshots/epoch-0001.npz`) inside a session
    `folder`: the folder and every folder on the way are opened without following a link."""
    label = label or f"{folder.name}/{relative}"
    try:
        with Folder.open(folder) as where:
            return where.read(relative, limit, label)
    except FileNotFoundError:
        raise
    except NotADirectoryError:
        raise FileNotFoundError(errno.ENOENT, f"{label}: no such folder") from None
    except OSError as err:
        why = "a link" if err.errno == errno.ELOOP else err.strerror or str(err)
        raise AetuiError(f"{label} cannot be read: a folder on its way is {why}") from None


def private_folder() -> Path:
    """A new folder only this user can enter (0700, made by `mkdtemp`): in `$XDG_RUNTIME_DIR`
    where that is this user's, else in the temporary folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or ""
    with contextlib.suppress(OSError):
        info = os.stat(runtime, follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return Path(tempfile.mkdtemp(prefix="aetui-", dir=runtime))
    return Path(tempfile.mkdtemp(prefix="aetui-"))


class Folder:
    """A folder held open and used through its descriptor (`openat` and friends): every name is
    looked up in the folder the descriptor was opened on, never through a link, so a link planted
    at the folder's path, or in place of a subfolder after it was opened, sends no read, write or
    deletion anywhere else."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path if isinstance(path, Path) else Path(path), fd

    @classmethod
    def open(cls, path: Path, follow: bool = False) -> Folder:
        """Hold the folder at `path` (an OSError where it is a link, unless `follow`, or no folder)."""
        return cls(path, open_dir(path, follow=follow))

    def sub(self, name: str, make: bool = True, mode: int = 0o777) -> Folder:
        """Hold the subfolder `name`, made (with `mode`) if need be (an OSError where it is a link)."""
        if make:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, mode, dir_fd=self.fd)
        return Folder(self.path / name, open_dir(name, self.fd))

    def read(self, name: str, limit: int, label: str | None = None) -> bytes:
        """`read_at` of `name` here; a name with `/` is walked folder by folder, following no link."""
        *folders, last = name.split("/")
        if not folders:
            return read_at(self.fd, last, limit, label or f"{self.path.name}/{name}")
        with self.sub("/".join(folders[:1]), make=False) as inner:
            return inner.read("/".join([*folders[1:], last]), limit, label or f"{self.path.name}/{name}")

    def open_read(self, name: str) -> tuple[int, os.stat_result]:  # (to be closed)
        return open_file(name, READ, self.fd)

    def write(self, name: str, data: bytes, sync: bool = True, mode: int = FILE_MODE) -> None:
        """Replace the file `name` with `data`, whole (a link, a FIFO or anything else at `name` is
        replaced, never opened); `sync`: durable before the rename."""
        tmp = f".tmp-{secrets.token_hex(4)}-{name}"
        fd, _ = open_file(tmp, NEW, self.fd, mode)
        try:
            try:
                _write_all(fd, data)
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            self.unlink(tmp)
            raise
        if sync:
            self.sync()

    def create(self, name: str, data: bytes, mode: int = FILE_MODE) -> None:
        """Make the file `name`, which must be new (`FileExistsError` where anything has that name)."""
        fd, _ = open_file(name, NEW, self.fd, mode)
        try:
            _write_all(fd, data)
        except BaseException:
            os.close(fd)
            self.unlink(name)
            raise
        os.close(fd)

    def append(self, name: str, data: bytes, cap: int | None = None, sync: bool = True,
               mode: int = FILE_MODE) -> int:
        """Append `data` to the regular file `name` in one write call (a kill leaves it whole or
        absent), and sync it; a `CapReached` where it would pass `cap` bytes. Returns the new size."""
        fd, info = open_file(name, APPEND, self.fd, mode)
        try:
            if cap is not None and info.st_size + len(data) > cap:
                raise CapReached(name, cap)
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(errno.EIO, f"only {written} of {len(data)} bytes of a line were written")
            if sync:
                os.fsync(fd)
            return info.st_size + written
        finally:
            os.close(fd)

    def unlink(self, name: str) -> None:
        """Delete the file `name` here, if there (a link is deleted itself, its target left alone)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self.fd)

    def remove(self, name: str) -> bool:
        """Delete whatever `name` is, a file or an empty folder; False where it stays."""
        for remove in (os.unlink, os.rmdir):
            try:
                remove(name, dir_fd=self.fd)
            except FileNotFoundError:
                pass
            except OSError:
                continue
            return True
        return False

    def names(self) -> list[str]:
        return os.listdir(self.fd)

    def lstat(self, name: str) -> os.stat_result:  # (a link itself, not its target)
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    def sync(self) -> None:  # (new names here made durable)
        with contextlib.suppress(OSError):
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


@contextlib.contextmanager
def private_copy(folder: Path, relative: str, limit: int, label: str) -> Iterator[Path]:
    """A copy of a session's file, read the safe way, in a private folder, for a library that
    opens files by path (HDF5 weights): nobody can swap it for a FIFO before the library opens it."""
    where = private_folder()
    try:
        name = Path(relative).name
        with Folder.open(where) as private:
            private.create(name, read_in(folder, relative, limit, label), 0o600)
        yield where / name
    finally:
        import shutil

        shutil.rmtree(where, ignore_errors=True)

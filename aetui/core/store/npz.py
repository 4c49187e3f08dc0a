"""An `.npz` read from bytes: each array checked from its header before it is inflated (a file
someone else wrote may hold a pickle, or a few MB that inflate to gigabytes)."""

from __future__ import annotations

from collections.abc import Mapping

from aetui.core.errors import AetuiError

MB = 1 << 20


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


def npz_bytes(arrays: dict) -> bytes:
    """A compressed `.npz` of `arrays`, made in memory."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()

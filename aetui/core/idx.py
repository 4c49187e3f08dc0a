"""IDX files (MNIST's format: a magic number, the dimensions, then unsigned bytes), read with
every size checked before it is trusted: a header can promise anything."""

from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path

from aetui.core.errors import AetuiError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
DATA_LIMIT = 2 << 30
"""The most bytes a data file may have, and the most its images may take once unpacked."""


def read(path: Path, magic: int):
    """Read one IDX file (optionally gzipped) of unsigned bytes, checking magic and size: a regular
    file (no FIFO, device or link that would never end), under `DATA_LIMIT`, and no more bytes
    unpacked than its header promises."""
    import numpy as np

    from aetui.core.store.files import read_bytes

    stored = io.BytesIO(read_bytes(path, DATA_LIMIT, str(path)))
    try:
        with gzip.GzipFile(fileobj=stored) if path.suffix == ".gz" else stored as fh:
            head = fh.read(4)
            ndim = head[3] if len(head) == 4 else 0
            head += fh.read(4 * ndim)
            promised = math.prod(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)) \
                if len(head) == 4 + 4 * ndim else 0
            if promised > DATA_LIMIT:
                raise AetuiError(f"{path}: its header promises {promised / (1 << 30):.1f} GB of pixels, over the "
                                 f"{DATA_LIMIT >> 30} GB aetui reads")
            raw = head + fh.read(promised)
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise AetuiError(f"{path}: cannot read (a damaged or unfinished download?): {err}") from None
    if len(raw) < 8:
        raise AetuiError(f"{path}: too short to be an IDX file")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise AetuiError(f"{path}: not an IDX {'image' if magic == IMAGES_MAGIC else 'label'} file "
                         f"(magic number {found:#010x}, expected {magic:#010x})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise AetuiError(f"{path}: truncated header")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    expected = math.prod(dims)  # exact: np.prod would wrap around for absurd headers
    if len(raw) - header < expected:
        raise AetuiError(f"{path}: truncated: header promises {expected} bytes, file has {len(raw) - header}")
    try:
        return np.frombuffer(raw, np.uint8, count=expected, offset=header).reshape(dims)
    except ValueError:  # e.g. 0 x 2**32-1 x 2**32-1: no bytes, but no such array either
        raise AetuiError(f"{path}: damaged header: impossible dimensions {' x '.join(map(str, dims))}") from None

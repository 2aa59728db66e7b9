"""Merged intervals that take no more deltas, kept in an unnamed temporary file.

A long run's merged history is a few hundred KB per minute per series set (one encoded
histogram per series per interval); written out, it costs disk and page cache, not the
coordinator's memory: what stays in memory is one (offset, length) per interval. The file is
made on the first `put` and unlinked at once, so it is gone when its descriptor is closed: by
`close()`, or when the store is collected. A record put again for the same interval is
appended; the old bytes stay unused until the file is closed (an interval is sealed again only
after a late delta).
"""

from __future__ import annotations

import os
import tempfile
import weakref

__all__ = ["SealedIntervals"]


class SealedIntervals:
    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory  # None: tempfile's default (TMPDIR, else /tmp)
        self._fd = -1
        self._closer: weakref.finalize[[int], SealedIntervals] | None = None
        self._index: dict[int, tuple[int, int]] = {}  # interval -> (offset, length)
        self._end = 0

    def __contains__(self, interval: int) -> bool:
        return interval in self._index

    def __len__(self) -> int:
        return len(self._index)

    @property
    def file_bytes(self) -> int:
        return self._end

    def put(self, interval: int, record: bytes) -> None:
        if self._fd < 0:
            fd, path = tempfile.mkstemp(prefix="testbots-intervals-", dir=self._directory)
            os.unlink(path)
            self._fd, self._closer = fd, weakref.finalize(self, os.close, fd)
        written = 0
        while written < len(record):
            written += os.pwrite(self._fd, record[written:], self._end + written)
        self._index[interval] = (self._end, len(record))
        self._end += len(record)

    def get(self, interval: int) -> bytes:
        offset, length = self._index[interval]
        parts = []
        while length:
            part = os.pread(self._fd, length, offset)
            if not part:
                raise OSError(f"sealed interval {interval}: the spill file ended early")
            parts.append(part)
            offset += len(part)
            length -= len(part)
        return b"".join(parts)

    def pop(self, interval: int) -> bytes:
        record = self.get(interval)
        del self._index[interval]
        return record

    def close(self) -> None:
        if self._closer is not None:
            self._closer()  # closes the descriptor once, and never again at collection
            self._fd, self._closer = -1, None
        self._index.clear()
        self._end = 0

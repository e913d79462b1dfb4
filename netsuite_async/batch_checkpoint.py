"""A resumable checkpoint for batches: an append-only JSONL file of finished items.

Why: a batch of 50,000 creates that dies at item 31,000 must not create items 1–31,000 again when it is run
again. The checkpoint stores

* a header (first line): format version, a random ``run_id``, the operation, record type, the number of
  input items, a SHA-256 digest of the input and the chunk size;
* one line per finished item: ``{"i": 5, "id": "123"}`` (done) or ``{"i": 6, "err": {...}}`` (NetSuite
  refused it: status, code, detail, path);
* ``{"collection": 3}`` before chunk 3 is first sent as one collection request, ``{"fallback": 3}`` when the
  account refused that and its items went out as single requests, and ``{"single": true}`` once the account
  refused batch collections. A resumed run sends a chunk that has a ``collection`` line as a collection again
  (same key) even if the account refuses collections now: only a refusal *of that key* proves no job exists
  for it, so only then may its items go out one by one;
* ``{"resend": 5, "attempt": 2}`` before item 5 is sent again (its earlier task failed with a 5xx: nothing was
  saved) under the key of attempt 2. A resumed run follows the newest attempt's key for that item, so it reads
  back the job that resend created instead of making another.

Every asynchronous request of a batch carries an idempotency key derived from ``run_id`` and the chunk or item
it carries (`BatchCheckpoint.key_for`). A run restarted with the same checkpoint therefore sends the *same*
keys for whatever was in flight when it died, and NetSuite answers those with the earlier job instead of
applying them again: nothing is redone, nothing duplicated. Only definite outcomes are written; an item whose
outcome is unknown (its job could not be read) is simply tried again, under its old key.

Writes are one ``write()`` + ``flush()`` per line (no fsync by default: a killed process loses nothing the OS
has; pass ``fsync=True`` to survive power loss too). A line torn by a crash is dropped when the file is read.

Examples:
    ```python
    cp = BatchCheckpoint.open("run.ckpt", op="create", record_type="customer", items=bodies, chunk_size=100)
    cp.done                 # {index: internal id} restored from an earlier run
    cp.record_done(7, "1234")
    cp.close()
    ```
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from netsuite_async.errors import CheckpointError, CheckpointMismatchError

__all__ = ["BatchCheckpoint", "CheckpointError", "CheckpointMismatchError", "StoredError", "input_digest"]

_VERSION = 1


@dataclass(frozen=True)
class StoredError:
    """A NetSuite refusal as kept in the checkpoint (enough to report it again after a restart).

    Examples:
        >>> StoredError(400, "INVALID_CONTENT", "bad email", "email").code
        'INVALID_CONTENT'
    """

    status: int | None
    code: str | None
    detail: str
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form written to the file."""
        return {"status": self.status, "code": self.code, "detail": self.detail, "path": self.path}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredError:
        """Read the JSON form back."""
        status = data.get("status")
        return cls(
            status=int(status) if isinstance(status, int) else None,
            code=str(data["code"]) if data.get("code") is not None else None,
            detail=str(data.get("detail", "")),
            path=str(data["path"]) if data.get("path") is not None else None,
        )


def input_digest(items: Iterable[Any]) -> str:
    """SHA-256 of the items' canonical JSON, one per line: equal inputs give equal digests.

    Examples:
        >>> input_digest([{"b": 1, "a": 2}]) == input_digest([{"a": 2, "b": 1}])
        True
    """
    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


class BatchCheckpoint:
    """An open checkpoint file. Use `open`; close it with `close` (or ``with``).

    Examples:
        ```python
        with BatchCheckpoint.open(path, op="create", record_type="customer", items=rows) as cp:
            if 3 not in cp.done:
                ...
                cp.record_done(3, "77")
        ```
    """

    def __init__(
        self,
        path: Path,
        handle: IO[str],
        header: Mapping[str, Any],
        *,
        fsync: bool = False,
    ) -> None:
        self.path = path
        self._handle: IO[str] | None = handle
        self._fsync = fsync
        self.run_id: str = str(header["run_id"])
        self.op: str = str(header["op"])
        self.record_type: str = str(header["record_type"])
        self.count: int = int(header["count"])
        self.chunk_size: int = int(header["chunk_size"])
        #: index → internal id (None when NetSuite named no record, e.g. some deletes)
        self.done: dict[int, str | None] = {}
        #: index → why NetSuite refused the item
        self.failed: dict[int, StoredError] = {}
        #: chunks sent (or about to be sent) as one collection request
        self.collection_chunks: set[int] = set()
        self.fallback_chunks: set[int] = set()
        self.single_mode = False
        #: index → the newest resend attempt sent for it (after a transient task failure)
        self.resends: dict[int, int] = {}

    def __repr__(self) -> str:
        return (
            f"BatchCheckpoint({str(self.path)!r}, op={self.op!r}, record_type={self.record_type!r}, "
            f"done={len(self.done)}, failed={len(self.failed)}/{self.count})"
        )

    def __enter__(self) -> BatchCheckpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        op: str,
        record_type: str,
        items: Sequence[Any],
        chunk_size: int = 100,
        fsync: bool = False,
    ) -> BatchCheckpoint:
        """Open (and resume) or create the checkpoint at ``path`` for this batch.

        An existing file must have been written for the same operation, record type and input (same digest):
        otherwise `CheckpointMismatchError`. Its chunk size wins over ``chunk_size``, so the resumed run
        forms the same chunks and sends the same idempotency keys.

        Examples:
            ```python
            cp = BatchCheckpoint.open("c.jsonl", op="create", record_type="customer", items=rows)
            ```
        """
        p = Path(path)
        digest = input_digest(items)
        wanted = {"op": op, "record_type": record_type, "count": len(items), "digest": digest}
        if p.exists() and p.stat().st_size > 0:
            return cls._resume(p, wanted, fsync=fsync)
        header = {
            "kind": "netsuite-async-batch-checkpoint",
            "version": _VERSION,
            "run_id": str(uuid.uuid4()),
            **wanted,
            "chunk_size": chunk_size,
        }
        handle = p.open("w", encoding="utf-8")
        cp = cls(p, handle, header, fsync=fsync)
        cp._write([header])
        return cp

    @classmethod
    def _resume(cls, p: Path, wanted: Mapping[str, Any], *, fsync: bool) -> BatchCheckpoint:
        raw = p.read_bytes()
        records: list[dict[str, Any]] = []
        good_end = 0
        pos = 0
        while pos < len(raw):
            newline = raw.find(b"\n", pos)
            end = len(raw) if newline == -1 else newline + 1
            fragment = raw[pos:end].strip()
            if fragment:
                try:
                    record = json.loads(fragment)
                    if not isinstance(record, dict):
                        raise ValueError("not an object")
                except ValueError:
                    # Only the last line may be torn: the process died while writing it.
                    if raw[end:].strip():
                        line_no = raw.count(b"\n", 0, pos) + 1
                        raise CheckpointError(f"{p}: line {line_no} is not valid JSON; the file is corrupt") from None
                    break
                records.append(record)
            good_end = end
            pos = end
        if not records or records[0].get("kind") != "netsuite-async-batch-checkpoint":
            raise CheckpointError(f"{p} is not a netsuite-async batch checkpoint")
        header = records[0]
        if header.get("version") != _VERSION:
            raise CheckpointError(f"{p}: unsupported checkpoint version {header.get('version')!r}")
        for name in ("op", "record_type", "count", "digest"):
            if header.get(name) != wanted[name]:
                raise CheckpointMismatchError(
                    f"{p} was written for another batch ({name}: {header.get(name)!r} in the checkpoint, "
                    f"{wanted[name]!r} now); use a new checkpoint file for new input"
                )
        with p.open("r+b") as fix:
            fix.truncate(good_end)
            if good_end and not raw[:good_end].endswith(b"\n"):
                fix.seek(good_end)
                fix.write(b"\n")
        cp = cls(p, p.open("a", encoding="utf-8"), header, fsync=fsync)
        for record in records[1:]:
            cp._apply(record)
        return cp

    def _apply(self, record: Mapping[str, Any]) -> None:
        if "i" in record:
            index = int(record["i"])
            if not 0 <= index < self.count:
                raise CheckpointError(f"{self.path}: index {index} out of range")
            if "err" in record:
                self.failed[index] = StoredError.from_json(record["err"])
                self.done.pop(index, None)
            else:
                rid = record.get("id")
                self.done[index] = None if rid is None else str(rid)
                self.failed.pop(index, None)
        elif "collection" in record:
            self.collection_chunks.add(int(record["collection"]))
        elif "fallback" in record:
            self.fallback_chunks.add(int(record["fallback"]))
        elif "resend" in record:
            index = int(record["resend"])
            if not 0 <= index < self.count:
                raise CheckpointError(f"{self.path}: index {index} out of range")
            self.resends[index] = max(self.resends.get(index, 0), int(record.get("attempt", 1)))
        elif record.get("single"):
            self.single_mode = True

    def key_for(self, kind: str, number: int) -> str:
        """The idempotency key of chunk or item ``number`` in this run (stable across restarts).

        Examples:
            ```python
            key = cp.key_for("chunk", 0)
            ```
        """
        return key_for(self.run_id, self.op, self.record_type, kind, number)

    def finished(self, index: int) -> bool:
        """True when item ``index`` has a definite outcome recorded.

        Examples:
            ```python
            todo = [i for i in range(n) if not cp.finished(i)]
            ```
        """
        return index in self.done or index in self.failed

    def record_done(self, index: int, record_id: str | None) -> None:
        """Record that item ``index`` was applied (``record_id``: the record it created or changed)."""
        self.done[index] = record_id
        self._write([{"i": index, "id": record_id}])

    def record_failed(self, index: int, error: StoredError) -> None:
        """Record that NetSuite refused item ``index`` (a definite outcome: nothing was applied)."""
        self.failed[index] = error
        self._write([{"i": index, "err": error.to_json()}])

    def record_many(self, outcomes: Iterable[tuple[int, str | None, StoredError | None]]) -> None:
        """Record several outcomes with one write: ``(index, record_id, error_or_None)``."""
        lines: list[dict[str, Any]] = []
        for index, rid, error in outcomes:
            if error is None:
                self.done[index] = rid
                lines.append({"i": index, "id": rid})
            else:
                self.failed[index] = error
                lines.append({"i": index, "err": error.to_json()})
        if lines:
            self._write(lines)

    def record_collection(self, chunk: int) -> None:
        """Record, before sending it, that ``chunk`` goes out as one collection request (once per chunk)."""
        if chunk not in self.collection_chunks:
            self.collection_chunks.add(chunk)
            self._write([{"collection": chunk}])

    def record_fallback(self, chunk: int) -> None:
        """Record that ``chunk`` is being sent as single requests (never as a collection again)."""
        self.fallback_chunks.add(chunk)
        self._write([{"fallback": chunk}])

    def record_resend(self, index: int, attempt: int) -> None:
        """Record, before sending it, that item ``index`` goes out again under the key of ``attempt`` (>= 1).

        Examples:
            ```python
            cp.record_resend(5, 1)
            cp.key_for("resend1", 5)    # the key that request carries
            ```
        """
        if attempt < 1:
            raise ValueError("a resend attempt is numbered from 1")
        if self.resends.get(index, 0) < attempt:
            self.resends[index] = attempt
            self._write([{"resend": index, "attempt": attempt}])

    def record_single_mode(self) -> None:
        """Record that the account refused batch collections."""
        if not self.single_mode:
            self.single_mode = True
            self._write([{"single": True}])

    def _write(self, records: Sequence[Mapping[str, Any]]) -> None:
        if self._handle is None:
            raise CheckpointError(f"{self.path} is closed")
        text = "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in records)
        self._handle.write(text)
        self._handle.flush()
        if self._fsync:
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def key_for(run_id: str, op: str, record_type: str, kind: str, number: int) -> str:
    """The idempotency key of one chunk or item of a run: a UUID5, so a restart derives the same key.

    Examples:
        >>> key_for("9a3e5f86-4f41-4b43-a2b5-2a4f5e0f1b10", "create", "customer", "chunk", 0) == \\
        ...     key_for("9a3e5f86-4f41-4b43-a2b5-2a4f5e0f1b10", "create", "customer", "chunk", 0)
        True
    """
    return str(uuid.uuid5(uuid.UUID(run_id), f"{op}:{record_type}:{kind}:{number}"))

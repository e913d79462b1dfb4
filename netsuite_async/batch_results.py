"""The outcome of a batch: `BatchItemResult` (one per input), `BatchProgress` and `BatchResult`.

Re-exported by `netsuite_async.batch`.

Examples:
    >>> BatchResult([BatchItemResult(0, True)]).ok
    True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from netsuite_async.errors import NetSuiteError
from netsuite_async.models import RecordRef

__all__ = ["BatchItemResult", "BatchProgress", "BatchResult", "ProgressCallback"]

@dataclass(frozen=True)
class BatchItemResult:
    """The outcome of one input item.

    ``ref`` names the record written (for updates and deletes by internal id, the record addressed);
    ``error`` is the typed NetSuite error (or `BatchOutcomeUnknownError`) when ``ok`` is False;
    ``resumed`` is True when the outcome was read from the checkpoint of an earlier run; ``note`` says why an
    applied item has no ``ref`` (NetSuite's result named no record and it could not be looked up).

    Examples:
        >>> BatchItemResult(index=0, ok=True, ref=RecordRef(type="customer", id="7")).ref.id
        '7'
    """

    index: int
    ok: bool
    ref: RecordRef | None = None
    error: NetSuiteError | None = None
    resumed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class BatchProgress:
    """Passed to ``on_progress`` whenever ``done`` or ``read`` grows (as items finish and as results are read).

    ``done`` counts items whose outcome is final (``succeeded + failed``; with collection requests a chunk's
    items become final together, once the chunk's task listing has been checked against its results). ``read``
    counts ``done`` plus the items whose task result has been read while their chunk is still being checked: it
    moves item by item. Both only grow, ``done <= read <= total``, and at the end both equal ``total``.
    ``read`` defaults to ``done`` (what a progress made without it means).

    Examples:
        >>> BatchProgress(done=100, total=1000, succeeded=99, failed=1, read=137).read
        137
        >>> BatchProgress(done=150, total=1000, succeeded=149, failed=1).read
        150
    """

    done: int
    total: int
    succeeded: int
    failed: int
    read: int = -1
    """Items whose answer has been read (final or still being checked); ``done`` when not given."""

    def __post_init__(self) -> None:
        if self.read == -1:
            object.__setattr__(self, "read", self.done)
        elif self.read < self.done:
            raise ValueError(f"read ({self.read}) cannot be less than done ({self.done})")


ProgressCallback = Callable[[BatchProgress], "Awaitable[None] | None"]


class BatchResult(Sequence[BatchItemResult]):
    """One `BatchItemResult` per input, in input order, plus counts.

    Examples:
        ```python
        result = await ns.batch.create("customer", rows)
        assert len(result) == len(rows)
        ids = [item.ref.id for item in result if item.ok]
        print(result.succeeded, result.failed, result.failures[:3])
        ```
    """

    def __init__(self, items: Sequence[BatchItemResult], *, used_collections: bool | None = None) -> None:
        self._items = list(items)
        self.used_collections = used_collections
        """True: collection requests were used; False: single requests only; None: nothing was sent."""

    @overload
    def __getitem__(self, index: int) -> BatchItemResult: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[BatchItemResult]: ...

    def __getitem__(self, index: int | slice) -> BatchItemResult | Sequence[BatchItemResult]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[BatchItemResult]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"BatchResult(total={len(self)}, succeeded={self.succeeded}, failed={self.failed})"

    @property
    def succeeded(self) -> int:
        """How many items were applied."""
        return sum(1 for r in self._items if r.ok)

    @property
    def failed(self) -> int:
        """How many items were not (or may not have been) applied."""
        return len(self._items) - self.succeeded

    @property
    def failures(self) -> list[BatchItemResult]:
        """The failed items, in input order."""
        return [r for r in self._items if not r.ok]

    @property
    def ok(self) -> bool:
        """True when every item was applied."""
        return all(r.ok for r in self._items)

    @property
    def refs(self) -> list[RecordRef | None]:
        """Per input, the record written (None for failures)."""
        return [r.ref if r.ok else None for r in self._items]

"""A batch run's tally: one outcome slot per item, and what ``on_progress`` is told (`_Tally`).

Two counters move, and neither ever counts an item before NetSuite has answered for it:

* ``done``: items whose outcome is final (``succeeded + failed``). With collection requests a chunk's items
  become final together, once every task result of the chunk has been read and the listing has been checked
  against them (see `netsuite_async.batch_engine`), so ``done`` moves by chunks there and by items elsewhere;
* ``read``: ``done`` plus the items whose task result has been read while their chunk is still being checked.
  It moves by one as each result is read, without a request of its own. A task that failed transiently (a 5xx:
  the item is sent again) is not counted until the item's later answer is read.

Both only grow; ``read >= done``; at the end both equal the number of items (an item whose outcome could not be
learned is final too, as a failure). Items restored from a checkpoint count in both from the start.

Examples:
    >>> tally = _Tally(3, None)
    >>> tally.read(0); tally.set(BatchItemResult(1, True)); tally.snapshot()
    BatchProgress(done=1, total=3, succeeded=1, failed=0, read=2)
"""

from __future__ import annotations

from netsuite_async.batch_results import BatchItemResult, BatchProgress, ProgressCallback

__all__: list[str] = []


class _Tally:
    """The results of one run so far (``results[i]`` is None until item ``i`` is final) and its progress."""

    def __init__(self, total: int, on_progress: ProgressCallback | None) -> None:
        self.results: list[BatchItemResult | None] = [None] * total
        self.done = 0
        self.ok_count = 0
        # Items whose answer has been read but is not final yet (their chunk's listing is still being checked).
        self._unsettled: set[int] = set()
        self._on_progress = on_progress
        self._reported = (0, 0)  # (done, read) last told: only growth is reported

    def set(self, result: BatchItemResult) -> None:
        """Record an item's final outcome (a later one replaces it: counted once)."""
        previous = self.results[result.index]
        if previous is None:
            self.done += 1
            self.ok_count += int(result.ok)
            self._unsettled.discard(result.index)
        else:
            self.ok_count += int(result.ok) - int(previous.ok)
        self.results[result.index] = result

    def read(self, index: int) -> None:
        """Count item ``index`` as read: NetSuite's answer for it is in hand, not yet final."""
        if self.results[index] is None:
            self._unsettled.add(index)

    def snapshot(self) -> BatchProgress:
        """The counts as they are now."""
        return BatchProgress(self.done, len(self.results), self.ok_count, self.done - self.ok_count,
                             read=self.done + len(self._unsettled))

    async def report(self) -> None:
        """Tell ``on_progress`` the counts when ``done`` or ``read`` has grown since it was last told.

        Snapshots are taken in order, so a synchronous callback sees both counters only grow.
        """
        if self._on_progress is None:
            return
        progress = self.snapshot()
        if (progress.done, progress.read) == self._reported:
            return
        self._reported = (progress.done, progress.read)
        outcome = self._on_progress(progress)
        if outcome is not None:
            await outcome

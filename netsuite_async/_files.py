"""Writing small JSON files safely: atomically, and readable by the owner only."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_json_atomic"]


def write_json_atomic(
    path: str | os.PathLike[str],
    data: Any,
    *,
    indent: int | None = None,
    sort_keys: bool = False,
    ensure_ascii: bool = True,
) -> None:
    """Write ``data`` as JSON to ``path`` so that a reader never sees half a file and nobody else can read it.

    The temporary file is created beside the target with mode 0600 from the start (``mkstemp``), flushed to disk,
    then renamed over the target; on any failure it is removed. Token stores, checkpoints, the metadata cache and
    the emulator's connection file (which holds secrets) all write this way.

    Examples:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
        >>> write_json_atomic(target, {"a": 1})
        >>> oct(target.stat().st_mode & 0o777), target.read_text()
        ('0o600', '{"a": 1}')
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Every NetSuiteError subclass the library defines lives in netsuite_async.errors (issue 16).

Each is re-exported from the module that raises it, so old imports keep working; this test walks the whole
subclass tree after importing every submodule, so a new error defined elsewhere fails here.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import netsuite_async
from netsuite_async import errors
from netsuite_async.errors import NetSuiteError

# Modules whose import needs an optional dependency that may be absent are skipped by name only if missing.
_OPTIONAL = {"redis", "mcp", "fastapi", "opentelemetry"}


def _import_all() -> list[str]:
    names = []
    missing = []
    for info in pkgutil.walk_packages(netsuite_async.__path__, prefix="netsuite_async."):
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional extra that is not installed
            missing.append((info.name, (exc.name or "").split(".")[0]))
            continue
        names.append(info.name)
    assert [m for m in missing if m[1] not in _OPTIONAL] == []
    return names


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def test_every_netsuite_error_is_defined_in_errors() -> None:
    imported = _import_all()
    assert "netsuite_async.batch" in imported
    assert "netsuite_async.auth.redis_cache" in imported
    library = {c for c in _subclasses(NetSuiteError) if c.__module__.startswith("netsuite_async")}
    outside = sorted(f"{c.__module__}.{c.__qualname__}" for c in library if c.__module__ != "netsuite_async.errors")
    assert outside == []
    # The moved ones are among them, and every one is listed in errors.__all__ and in its documented tree.
    moved = {"SuiteQLCapError", "JobTimeoutError", "BatchOutcomeUnknownError", "ProductionWriteError",
             "CheckpointError", "CheckpointMismatchError", "TokenCacheUnavailableError"}
    assert moved <= {c.__name__ for c in library}
    for cls in library:
        assert cls.__name__ in errors.__all__, cls
        assert f"── {cls.__name__} " in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("netsuite_async.suiteql", "SuiteQLCapError"),
        ("netsuite_async.jobs", "JobTimeoutError"),
        ("netsuite_async.batch", "BatchOutcomeUnknownError"),
        ("netsuite_async.probe", "ProductionWriteError"),
        ("netsuite_async.batch_checkpoint", "CheckpointError"),
        ("netsuite_async.batch_checkpoint", "CheckpointMismatchError"),
        ("netsuite_async.auth.redis_cache", "TokenCacheUnavailableError"),
    ],
)
def test_old_homes_re_export_the_same_class(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)
    assert getattr(netsuite_async, name, getattr(errors, name)) is getattr(errors, name)


def test_checkpoint_error_is_both_netsuite_error_and_value_error() -> None:
    assert issubclass(errors.CheckpointMismatchError, NetSuiteError)
    assert issubclass(errors.CheckpointError, ValueError)


def test_moved_errors_still_pickle() -> None:
    err = errors.BatchOutcomeUnknownError("job 7 could not be read", checkpoint="run.ckpt")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is errors.BatchOutcomeUnknownError
    assert (back.reason, back.checkpoint, str(back)) == (err.reason, err.checkpoint, str(err))

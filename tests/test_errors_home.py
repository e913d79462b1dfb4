"""Every NetSuiteError subclass the library defines lives in netsuite_async.errors (issue 16).

Each is re-exported from the module that raises it, so old imports keep working; this test walks the whole
subclass tree after importing every submodule, so a new error defined elsewhere fails here.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from collections.abc import Callable

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


# Issue 16 moved the status mapping, body parsing, scrubbing and unpickling helpers out of errors.py. A pickle
# made before that names the rebuild functions in netsuite_async.errors; it must still load.
_OLD_PICKLES = [
    errors.APIError("GET", "https://x/r", 400, details=[errors.ErrorDetail("Bad q", "INVALID_PARAMETER")],
                    attempts=2, hints=["check q"]),
    errors.NotFoundError("GET", "https://x/r/9", 404),
    errors.RequestTimeoutError("GET", "https://x/r", "ReadTimeout", reached_server=True, attempts=3),
    errors.WriteOutcomeUnknownError("POST", "https://x/r", "read timeout", context={"record_type": "customer"}),
    errors.JobTasksMismatchError("42", expected=3, listed=2),
    errors.BatchOutcomeUnknownError("job 7 could not be read", checkpoint="run.ckpt"),
]


@pytest.mark.parametrize("err", _OLD_PICKLES, ids=lambda e: type(e).__name__)
def test_pickles_naming_the_old_rebuild_functions_still_load(err: Exception) -> None:
    now = pickle.dumps(err, protocol=0)  # protocol 0 names globals as text: "c<module>\n<name>\n"
    assert b"netsuite_async._error_pickle\n_rebuild_" in now
    before_split = now.replace(b"cnetsuite_async._error_pickle\n", b"cnetsuite_async.errors\n")
    for data in (now, before_split):
        back = pickle.loads(data)
        assert type(back) is type(err)
        assert str(back) == str(err)
        assert vars(back) == vars(err)
    # batch.py re-exported one of them before the split too.
    older = now.replace(b"cnetsuite_async._error_pickle\n", b"cnetsuite_async.batch\n")
    if isinstance(err, errors.BatchOutcomeUnknownError):
        assert str(pickle.loads(older)) == str(err)


def test_moved_helpers_are_still_importable_from_errors() -> None:
    from netsuite_async import _error_parsing, _error_pickle, _error_scrub

    assert errors.error_for_status is _error_parsing.error_for_status
    assert errors.scrub_error is _error_scrub.scrub_error
    for name in ("_rebuild_api_error", "_rebuild_transport_error", "_rebuild_write_outcome_unknown",
                 "_rebuild_mismatch", "_rebuild_unknown"):
        assert getattr(errors, name) is getattr(_error_pickle, name)
    assert {"error_for_status", "scrub_error"} <= set(errors.__all__)
    assert type(errors.error_for_status("GET", "https://x/r", 503, b"")) is errors.ServerError


# One sample of every error class: a new class must be added here, and must survive pickling (multiprocessing
# ETL workers send errors back to their parent). JobTimeoutError did not until issue 16's review.
_API = ("GET", "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer/7", 404)
_TRANSPORT = ("GET", "https://1234567.suitetalk.api.netsuite.com/x", "connection reset")
_SAMPLES: dict[str, Callable[[], Exception]] = {
    "NetSuiteError": lambda: errors.NetSuiteError("something"),
    **{name: (lambda name=name: getattr(errors, name)(*_API, title="Not Found", attempts=2))
       for name in ("APIError", "BadRequestError", "AuthenticationError", "ReauthorizationRequired",
                    "PermissionDeniedError", "NotFoundError", "ConflictError", "ConcurrencyLimitError",
                    "ServerError")},
    **{name: (lambda name=name: getattr(errors, name)(*_TRANSPORT, reached_server=True, attempts=3))
       for name in ("TransportError", "TLSConfigurationError", "RequestTimeoutError")},
    "WriteOutcomeUnknownError": lambda: errors.WriteOutcomeUnknownError(
        "POST", "https://x/services/rest/record/v1/customer", "read timed out", context={"idempotency_key": "k"}),
    "AccessDeniedError": lambda: errors.AccessDeniedError("bot", "records.get", "customer", "read", "not allowed"),
    "JobTasksMismatchError": lambda: errors.JobTasksMismatchError("42", expected=3, listed=2),
    "DateFormatRequiredError": lambda: errors.DateFormatRequiredError(),
    "JobTimeoutError": lambda: errors.JobTimeoutError("42", 30.0),
    "BatchOutcomeUnknownError": lambda: errors.BatchOutcomeUnknownError("job 7 unreadable", checkpoint="run.ckpt"),
    **{name: (lambda name=name: getattr(errors, name)("a message"))
       for name in ("GovernorUnavailableError", "SuiteQLOrderError", "RecordListCapError", "SuiteQLCapError",
                    "ProductionWriteError", "CheckpointError", "CheckpointMismatchError",
                    "TokenCacheUnavailableError")},
}


def test_every_error_class_has_a_pickling_sample() -> None:
    classes = {name for name, obj in vars(errors).items()
               if isinstance(obj, type) and issubclass(obj, errors.NetSuiteError) and obj.__module__ == errors.__name__}
    assert classes == set(_SAMPLES)


@pytest.mark.parametrize("name", sorted(_SAMPLES))
def test_every_error_survives_pickling(name: str) -> None:
    err = _SAMPLES[name]()
    assert type(err).__name__ == name
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert str(back) == str(err)
    public = {k: v for k, v in vars(err).items() if not k.startswith("_") and k != "response"}
    assert {k: v for k, v in vars(back).items() if k in public} == public

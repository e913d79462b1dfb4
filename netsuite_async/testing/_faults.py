"""Fault injection: faults scripted per request (by matcher) or drawn by probability from a seeded RNG.

Examples:
    ```python
    emu.faults.script(match="POST /record/v1/customer", kind="error_after")
    ```
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from netsuite_async.testing._app import REST_PREFIX, EmuRequest

__all__ = ["FaultKind", "Faults", "Matcher", "ScriptedFault"]

FaultKind = Literal["error_before", "error_after", "slow", "drop", "html"]
_FAULT_KINDS: tuple[str, ...] = ("error_before", "error_after", "slow", "drop", "html")

Matcher = Callable[[EmuRequest], bool]


@dataclass
class ScriptedFault:
    """A fault waiting for matching requests (``times`` left; ``None`` = forever).

    Examples:
        ```python
        emu.faults.script(match="GET /record/v1/customer/", kind="html", times=2)
        ```
    """

    match: Matcher
    kind: FaultKind
    times: int | None = 1
    status: int = 500
    apply: bool = False
    seconds: float | None = None


def _matcher(match: str | Matcher | None) -> Matcher:
    if match is None:
        return lambda req: True
    if callable(match):
        return match
    text = match.strip()
    method: str | None = None
    if " " in text:
        method, text = text.split(" ", 1)
        method = method.upper()
        text = text.strip()
    prefix = text if text.startswith((REST_PREFIX, "/app/")) else REST_PREFIX + text

    def matches(req: EmuRequest) -> bool:
        return (method is None or req.method == method) and req.path.startswith(prefix)

    return matches


class Faults:
    """Injected failures, scripted for particular requests or random with a seeded RNG.

    Kinds: ``error_before`` (5xx, nothing applied), ``error_after`` (the request is applied, then 500),
    ``slow`` (sleeps ``seconds``, default ``config.slow_fault_seconds``, then answers; ``apply=False`` answers
    500 without applying), ``drop`` (the connection breaks; ``apply=True`` applies the request first),
    ``html`` (a proxy's HTML 502 page; nothing applied).

    Examples:
        ```python
        emu.faults.script(match="POST /record/v1/customer", kind="error_after")
        emu.faults.set_probability("error_before", 0.05)
        ```
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.scripted: list[ScriptedFault] = []
        self.probabilities: dict[FaultKind, float] = {}
        self.injected: Counter[str] = Counter()

    def script(
        self,
        match: str | Matcher | None = None,
        kind: FaultKind = "error_before",
        times: int | None = 1,
        *,
        status: int = 500,
        apply: bool | None = None,
        seconds: float | None = None,
    ) -> ScriptedFault:
        """Fail the next ``times`` requests that match.

        ``match``: ``None`` (any request), ``"METHOD /path-prefix"`` or ``"/path-prefix"`` (paths under
        ``/services/rest`` unless they start with ``/services/rest`` or ``/app/``), or a predicate on the
        request.

        Examples:
            ```python
            emu.faults.script(match="POST /record/v1/customer", kind="drop", apply=True)
            ```
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(_FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if not 500 <= status <= 599:
            raise ValueError("a fault status must be a 5xx")
        default_apply = kind in ("error_after", "slow")
        fault = ScriptedFault(_matcher(match), kind, times, status, default_apply if apply is None else apply, seconds)
        self.scripted.append(fault)
        return fault

    def set_probability(self, kind: FaultKind, probability: float) -> None:
        """Make ``kind`` happen to each request with this probability (0 turns it off).

        Examples:
            ```python
            emu.faults.set_probability("html", 0.01)
            ```
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if probability:
            self.probabilities[kind] = probability
        else:
            self.probabilities.pop(kind, None)

    def clear(self) -> None:
        """Forget every scripted fault and probability.

        Examples:
            ```python
            emu.faults.clear()
            ```
        """
        self.scripted.clear()
        self.probabilities.clear()

    def pick(self, req: EmuRequest) -> ScriptedFault | None:
        """The fault for this request, if any (consumes one use of a scripted fault).

        Examples:
            ```python
            fault = emu.faults.pick(req)
            ```
        """
        for i, fault in enumerate(self.scripted):
            if fault.match(req):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        del self.scripted[i]
                self.injected[fault.kind] += 1
                return fault
        for kind, p in self.probabilities.items():
            if self._rng.random() < p:
                self.injected[kind] += 1
                return ScriptedFault(
                    lambda r: True,
                    kind,
                    None,
                    500,
                    kind in ("error_after", "slow"),
                )
        return None

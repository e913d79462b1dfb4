"""Per-agent access policy: which record types, SuiteQL tables, RESTlets and raw calls each agent may use.

NetSuite's only boundary is the role behind the token: one OAuth 2.0 scope, no per-record or per-action scopes.
An `AccessPolicy` adds the missing layer on the client side, deny by default. Per agent:

``records``
    record type → ``"read"`` (get, get_many, list, sublists, metadata, SuiteQL on its table, changes), ``"write"``
    (read + create, update, upsert, batch create/update/upsert, transform target), ``"full"`` (write + delete,
    batch delete) or ``"none"`` (explicitly nothing). ``"*"`` sets the level of every type not named.
``suiteql``
    ``True`` lets the agent run its own SuiteQL, and then only over tables it may read.
``tables``
    SuiteQL tables readable besides the record types granted ``read`` (a table is readable when it is listed
    here, or when the record type of the same name, compared case-insensitively, has at least ``read``).
    ``transaction`` holds every transaction type, so it is never implied by ``invoice`` or ``salesOrder``:
    list it here on purpose.
``restlets``
    script ids (``"customscript_report"``: every deployment) or ``"script:deploy"`` pairs.
``catalog``
    ``True`` lets the agent list the metadata catalog (the names of every record type the role sees).
``request``, ``jobs``
    ``True`` allows the raw ``request()`` and ``jobs.submit`` / ``jobs.get``. They reach any path, so they
    are never implied by record grants.

Examples:
    >>> policy = AccessPolicy.from_dict({
    ...     "finance-bot": {"records": {"customer": "read", "invoice": "write"}, "suiteql": True},
    ...     "support-bot": {"records": {"customer": "read"}},
    ... })
    >>> policy.agents
    ('finance-bot', 'support-bot')
    >>> policy.grants("support-bot").record("delete", "customer").reason
    'it has read access to customer'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from netsuite_async._checks import is_int
from netsuite_async.suiteql_tables import UnclassifiableQueryError, query_tables

__all__ = ["LEVELS", "AccessPolicy", "AgentGrants", "Decision", "Level"]

Level = Literal["none", "read", "write", "full"]
#: The levels in increasing order of what they allow.
LEVELS: tuple[Level, ...] = ("none", "read", "write", "full")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_KEYS = frozenset({"records", "suiteql", "tables", "restlets", "catalog", "request", "jobs"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCRIPT = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Decision:
    """The answer to one access check: ``allowed``, the ``reason`` in plain words and what was ``needed``.

    Examples:
        >>> Decision(False, "it has read access to customer", needed="full access to customer").word
        'denied'
    """

    allowed: bool
    reason: str
    needed: str = ""
    tables: tuple[str, ...] = ()
    """For SuiteQL checks: the tables the query reads (sorted), when they could be found."""

    @property
    def word(self) -> str:
        """``"allowed"`` or ``"denied"``, as written in audit lines."""
        return "allowed" if self.allowed else "denied"


@dataclass(frozen=True)
class AgentGrants:
    """What one agent may do; made by `AccessPolicy` from its validated definition.

    Examples:
        >>> g = AgentGrants("bot", records={"customer": "write"})
        >>> g.level("Customer"), g.record("update", "customer").allowed, g.record("delete", "customer").allowed
        ('write', True, False)
    """

    name: str
    records: Mapping[str, Level] = field(default_factory=dict)
    suiteql: bool = False
    tables: frozenset[str] = frozenset()
    restlets: frozenset[str] = frozenset()
    catalog: bool = False
    request: bool = False
    jobs: bool = False
    _decisions: dict[tuple[str, str, str | None], Decision] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Record types compare case-insensitively (NetSuite's URLs and SuiteQL tables do).
        object.__setattr__(self, "records", {k.lower(): v for k, v in self.records.items()})
        object.__setattr__(self, "tables", frozenset(t.lower() for t in self.tables))
        object.__setattr__(self, "restlets", frozenset(r.lower() for r in self.restlets))

    def level(self, record_type: str) -> Level:
        """The level granted on ``record_type`` (``"none"`` when not granted).

        Examples:
            >>> AgentGrants("bot", records={"*": "read", "employee": "none"}).level("employee")
            'none'
        """
        key = record_type.lower()
        if key in self.records:
            return self.records[key]
        return self.records.get("*", "none")

    def record(self, verb: str, record_type: str, needs: Level | None = None) -> Decision:
        """May the agent ``verb`` (get, create, delete, …) records of ``record_type``? ``needs`` overrides the level.

        Examples:
            >>> AgentGrants("bot").record("get", "vendor").reason
            'it has no access to vendor'
        """
        key = (verb, record_type, needs)
        cached = self._decisions.get(key)
        if cached is not None:
            return cached
        decision = self._record(verb, record_type, needs)
        if len(self._decisions) < 4096:  # grants are immutable, so are their answers; bounded all the same
            self._decisions[key] = decision
        return decision

    def _record(self, verb: str, record_type: str, needs: Level | None) -> Decision:
        need = needs or _level_for(verb)
        have = self.level(record_type)
        needed = f"{need} access to {record_type}"
        if _RANK[have] >= _RANK[need]:
            return Decision(True, f"it has {have} access to {record_type}", needed)
        if have == "none":
            return Decision(False, f"it has no access to {record_type}", needed)
        return Decision(False, f"it has {have} access to {record_type}", needed)

    def can_read_table(self, table: str) -> bool:
        """Whether SuiteQL may read ``table`` (listed in ``tables``, or the same-named record type readable).

        Examples:
            >>> g = AgentGrants("bot", records={"invoice": "read"}, tables=frozenset({"transaction"}))
            >>> g.can_read_table("transaction"), g.can_read_table("invoice"), g.can_read_table("vendor")
            (True, True, False)
        """
        key = table.lower()
        return key in self.tables or "*" in self.tables or _RANK[self.level(key)] >= _RANK["read"]

    def tables_decision(self, tables: Iterable[str]) -> Decision:
        """Whether every table in ``tables`` is readable; the reason names the ones that are not.

        Examples:
            >>> AgentGrants("bot", records={"customer": "read"}).tables_decision(["customer", "vendor"]).reason
            'it may not read table vendor'
        """
        names = tuple(sorted({t.lower() for t in tables}))
        missing = [t for t in names if not self.can_read_table(t)]
        if missing:
            plural = "tables" if len(missing) > 1 else "table"
            return Decision(False, f"it may not read {plural} {', '.join(missing)}",
                            needed=f"read access to {', '.join(missing)}", tables=names)
        shown = ", ".join(names) if names else "no table"
        return Decision(True, f"it may read {shown}", needed=f"read access to {shown}", tables=names)

    def query(self, query: str, *, own_query: bool = True) -> Decision:
        """May the agent run ``query``? Needs ``suiteql`` (when ``own_query``) and every table readable.

        A query whose tables cannot be found with certainty is denied, with the reason.

        Examples:
            >>> g = AgentGrants("bot", records={"customer": "read"}, suiteql=True)
            >>> g.query("SELECT id FROM customer WHERE id > ?").allowed
            True
            >>> g.query("SELECT id FROM customer UNION SELECT id FROM vendor").reason
            'it may not read table vendor'
        """
        key = ("query", query, "own" if own_query else None)
        cached = self._decisions.get(key)
        if cached is not None:
            return cached
        decision = self._query(query, own_query)
        if len(self._decisions) < 4096 and len(query) <= 4096:
            self._decisions[key] = decision
        return decision

    def _query(self, query: str, own_query: bool) -> Decision:
        try:
            tables = query_tables(query)
        except UnclassifiableQueryError as exc:
            if own_query and not self.suiteql:
                return Decision(False, "SuiteQL is not granted to it", needed="the suiteql grant")
            return Decision(False, f"its query was not understood with certainty ({exc.reason})",
                            needed="a query whose tables can be determined")
        if own_query and not self.suiteql:
            return Decision(False, "SuiteQL is not granted to it", needed="the suiteql grant",
                            tables=tuple(sorted(tables)))
        return self.tables_decision(tables)

    def restlet(self, script: str | int, deploy: str | int) -> Decision:
        """May the agent call RESTlet ``script`` (deployment ``deploy``)?

        Examples:
            >>> g = AgentGrants("bot", restlets=frozenset({"customscript_a", "customscript_b:customdeploy_1"}))
            >>> g.restlet("customscript_a", 3).allowed, g.restlet("customscript_b", 2).allowed
            (True, False)
        """
        s, d = str(script).lower(), str(deploy).lower()
        needed = f"RESTlet {s}"
        if s in self.restlets or f"{s}:{d}" in self.restlets:
            return Decision(True, f"it may call RESTlet {s}", needed)
        return Decision(False, f"it may not call RESTlet {s} (deploy {d})", needed)

    def flag(self, name: Literal["catalog", "request", "jobs"], what: str) -> Decision:
        """A yes/no grant (``catalog``, ``request``, ``jobs``).

        Examples:
            >>> AgentGrants("bot").flag("request", "raw requests").reason
            'raw requests are not granted to it'
        """
        if getattr(self, name):
            return Decision(True, f"{what} are granted to it", name)
        return Decision(False, f"{what} are not granted to it", name)


def _level_for(verb: str) -> Level:
    if verb in ("delete",):
        return "full"
    if verb in ("create", "update", "upsert", "transform_target"):
        return "write"
    return "read"


class AccessPolicy:
    """Which agent may do what; deny by default. Build it with `from_dict` or `from_toml`.

    Examples:
        >>> p = AccessPolicy.from_dict({"bot": {"records": {"customer": "full"}, "restlets": ["customscript_x"]}})
        >>> p.grants("bot").record("delete", "customer").allowed
        True
        >>> p.grants("nobody")
        Traceback (most recent call last):
        ...
        ValueError: unknown agent 'nobody'; the policy defines: bot
    """

    def __init__(self, agents: Mapping[str, AgentGrants]) -> None:
        self._agents = dict(agents)

    @property
    def agents(self) -> tuple[str, ...]:
        """The agent names the policy defines, in definition order."""
        return tuple(self._agents)

    def grants(self, agent: str) -> AgentGrants:
        """The grants of ``agent``; an unknown name is a `ValueError`."""
        try:
            return self._agents[agent]
        except (KeyError, TypeError):
            raise ValueError(
                f"unknown agent {agent!r}; the policy defines: {', '.join(self._agents) or '(no agent)'}"
            ) from None

    def __contains__(self, agent: object) -> bool:
        return agent in self._agents

    def __repr__(self) -> str:
        return f"AccessPolicy(agents={list(self._agents)!r})"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccessPolicy:
        """Build a policy from ``{agent: {"records": {...}, "suiteql": bool, ...}}``, validating every key.

        Examples:
            >>> AccessPolicy.from_dict({"bot": {"records": {"customer": "admin"}}})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: policy for agent 'bot': unknown level 'admin' for record type 'customer' (use none, read, ...
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a policy must be a mapping of agent name to grants, not {type(data).__name__}")
        agents: dict[str, AgentGrants] = {}
        for name, spec in data.items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"agent names must be non-empty strings, not {name!r}")
            agents[name] = _parse_agent(name, spec)
        return cls(agents)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> AccessPolicy:
        """Load a policy from a TOML file: one table per agent, the same keys as `from_dict`.

        Examples:
            >>> import tempfile, pathlib
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "policy.toml"
            >>> _ = f.write_text('[support-bot]\\nrecords = { customer = "read" }\\n')
            >>> AccessPolicy.from_toml(f).agents
            ('support-bot',)
        """
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            return cls.from_toml_string(raw.decode("utf-8"))
        except ValueError as exc:
            raise ValueError(f"{os.fspath(path)}: {exc}") from None

    @classmethod
    def from_toml_string(cls, text: str) -> AccessPolicy:
        """Parse a policy from TOML text (see `from_toml`).

        Examples:
            >>> AccessPolicy.from_toml_string('[bot]\\nsuiteql = true\\ntables = ["transaction"]\\n').agents
            ('bot',)
        """
        import tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"not valid TOML: {exc}") from None
        return cls.from_dict(data)


def _parse_agent(name: str, spec: Any) -> AgentGrants:
    where = f"policy for agent {name!r}"
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a table of grants, not {type(spec).__name__}")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    records: dict[str, Level] = {}
    raw_records = spec.get("records", {})
    if not isinstance(raw_records, Mapping):
        raise ValueError(f"{where}: 'records' must map record types to levels")
    for record_type, level in raw_records.items():
        if not isinstance(record_type, str) or not (record_type == "*" or _NAME.fullmatch(record_type)):
            raise ValueError(f"{where}: {record_type!r} is not a record type name")
        if level not in _RANK:
            raise ValueError(f"{where}: unknown level {level!r} for record type {record_type!r} "
                             "(use none, read, write or full)")
        if record_type.lower() in records:
            raise ValueError(f"{where}: record type {record_type!r} is listed twice")
        records[record_type.lower()] = level
    flags: dict[str, bool] = {}
    for key in ("suiteql", "catalog", "request", "jobs"):
        value = spec.get(key, False)
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {key!r} must be true or false, not {value!r}")
        flags[key] = value
    tables = _names(spec.get("tables", []), where, "tables", _NAME, allow_star=True)
    restlets = frozenset(_restlet(r, where) for r in _list(spec.get("restlets", []), where, "restlets"))
    return AgentGrants(name, records=records, tables=tables, restlets=restlets, **flags)


def _list(value: Any, where: str, key: str) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"{where}: {key!r} must be a list")
    return list(value)


def _names(value: Any, where: str, key: str, pattern: re.Pattern[str], *, allow_star: bool) -> frozenset[str]:
    out = set()
    for item in _list(value, where, key):
        if not isinstance(item, str) or not ((allow_star and item == "*") or pattern.fullmatch(item)):
            raise ValueError(f"{where}: {item!r} in {key!r} is not a valid name")
        out.add(item.lower())
    return frozenset(out)


def _restlet(value: Any, where: str) -> str:
    text = str(value) if is_int(value) else value
    if not isinstance(text, str):
        raise ValueError(f"{where}: RESTlet {value!r} must be a script id or 'script:deploy'")
    parts = text.split(":")
    if len(parts) > 2 or not all(_SCRIPT.fullmatch(p) for p in parts):
        raise ValueError(f"{where}: RESTlet {value!r} must be a script id or 'script:deploy'")
    return text.lower()

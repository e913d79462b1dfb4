"""AccessPolicy validation and SuiteQL table extraction: tricky queries, injection attempts denied when in doubt."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsuite_async import AccessPolicy, UnclassifiableQueryError, query_tables
from netsuite_async.policy import AgentGrants

# query -> the tables it reads
CLASSIFIED: list[tuple[str, set[str]]] = [
    ("SELECT id FROM customer", {"customer"}),
    ("select ID from Customer", {"customer"}),
    ('SELECT id FROM "VENDOR" v', {"vendor"}),
    ("SELECT 1 FROM dual", set()),
    ("SELECT id FROM customer WHERE email = ? AND id > ?", {"customer"}),
    ("SELECT 'FROM vendor' AS x FROM customer", {"customer"}),
    ("SELECT q'[ FROM vendor ]' FROM customer", {"customer"}),
    ("SELECT id FROM customer -- , vendor\nWHERE id > 1", {"customer"}),
    ("SELECT id FROM customer /* JOIN vendor */ WHERE id > 1", {"customer"}),
    ("SELECT id FROM customer c, -- comment\n vendor v", {"customer", "vendor"}),
    ("SELECT id FROM customer/**/,vendor", {"customer", "vendor"}),
    ("SELECT c.id FROM customer c LEFT OUTER JOIN transaction t ON t.entity = c.id CROSS JOIN vendor",
     {"customer", "transaction", "vendor"}),
    ("SELECT a.id FROM customer a JOIN vendor b ON a.id = b.id, employee e", {"customer", "vendor", "employee"}),
    ("SELECT a.id FROM customer a NATURAL JOIN vendor", {"customer", "vendor"}),
    ("SELECT a.id FROM customer a FULL JOIN vendor b ON NVL(a.id, 0) = b.id", {"customer", "vendor"}),
    ("SELECT (SELECT MAX(id) FROM vendor) m, id FROM customer", {"customer", "vendor"}),
    ("SELECT id FROM customer WHERE EXISTS (SELECT 1 FROM vendor v WHERE v.id = customer.id)",
     {"customer", "vendor"}),
    ("SELECT id FROM customer WHERE id IN (SELECT id FROM vendor UNION SELECT id FROM employee)",
     {"customer", "vendor", "employee"}),
    ("SELECT id FROM customer UNION ALL SELECT id FROM vendor", {"customer", "vendor"}),
    ("SELECT id FROM customer MINUS SELECT id FROM employee", {"customer", "employee"}),
    ("SELECT id FROM customer INTERSECT SELECT id FROM employee", {"customer", "employee"}),
    ("(SELECT id FROM customer) UNION (SELECT id FROM vendor)", {"customer", "vendor"}),
    ("SELECT * FROM (SELECT id FROM vendor) sub, customer", {"customer", "vendor"}),
    ("SELECT * FROM customer c INNER JOIN (SELECT id FROM vendor) v ON v.id = c.id", {"customer", "vendor"}),
    ("WITH recent AS (SELECT id FROM transaction) SELECT r.id FROM recent r", {"transaction"}),
    ("WITH customer AS (SELECT id FROM vendor) SELECT id FROM customer", {"vendor"}),
    # b is a table inside a's body (a query name is visible only from its own definition on).
    ("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM customer) SELECT * FROM a, b", {"b", "customer"}),
    ("WITH r (n) AS (SELECT 1 FROM dual UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r", set()),
    ("SELECT EXTRACT(YEAR FROM trandate) y FROM transaction", {"transaction"}),
    ("SELECT TRIM(LEADING '0' FROM tranid) FROM transaction", {"transaction"}),
    ("SELECT id FROM customer START WITH id = 1 CONNECT BY PRIOR id = parent", {"customer"}),
    ("SELECT id FROM customer ORDER BY id FETCH FIRST 5 ROWS ONLY", {"customer"}),
    ("SELECT BUILTIN.DF(entity) FROM transaction WHERE trandate >= TO_DATE(?, 'YYYY-MM-DD')", {"transaction"}),
    ("SELECT COUNT(*) FROM customer GROUP BY subsidiary HAVING COUNT(*) > (SELECT 1 FROM employee)",
     {"customer", "employee"}),
]

# query -> a piece of the reason it is refused
UNCLASSIFIABLE: list[tuple[str, str]] = [
    ("SELECT id FROM customer; DELETE FROM customer", "';'"),
    ("DELETE FROM customer", "only a SELECT"),
    ("UPDATE customer SET email = 'x'", "only a SELECT"),
    ("SELECT id INTO x FROM customer", "INTO"),
    ("SELECT id FROM (customer JOIN vendor ON 1 = 1)", "parenthesised joins"),
    ("SELECT id FROM customer WHERE id IN (WITH v AS (SELECT id FROM vendor) SELECT id FROM v)", "WITH"),
    ("SELECT id FROM customer c, ? x", "? parameter"),
    ("SELECT id FROM 'vendor'", "string literal"),
    ("SELECT id FROM customer WHERE x = 'open", "unterminated"),
    ("SELECT id FROM customer /* open", "unterminated"),
    ('SELECT id FROM "open', "unterminated"),
    ("SELECT id FROM TABLE(my_function())", "TABLE"),
    ("SELECT id FROM customer@remote", "'@'"),
    ("SELECT id FROM sys.customer", "qualified"),
    ("SELECT id FROM customer PARTITION (p1)", "PARTITION"),
    ("SELECT id FROM customer AS OF TIMESTAMP SYSDATE", "alias"),
    ("SELECT id FROM customer SAMPLE (10)", "SAMPLE"),
    ("SELECT * FROM customer PIVOT (COUNT(*) FOR x IN (1))", "PIVOT"),
    ("SELECT id FROM customer, LATERAL (SELECT id FROM vendor)", "LATERAL"),
    ("SELECT id FROM customer WHERE name = ？", "unexpected character"),
    ("SELECT id FROM customer WHERE (id = 1", "unbalanced"),
    ("SELECT id FROM customer WHERE id = 1)", "unbalanced"),
    ("SELECT id FROM", "ends where a table"),
    ("", "empty"),
    ("-- only a comment", "empty"),
    ("WITH x AS SELECT 1 FROM dual SELECT * FROM x", "AS ("),
    ("SELECT id FROM customer c vendor", "unexpected"),
]


@pytest.mark.parametrize(("query", "tables"), CLASSIFIED)
def test_tables_are_found(query: str, tables: set[str]) -> None:
    assert query_tables(query) == frozenset(tables)


@pytest.mark.parametrize(("query", "why"), UNCLASSIFIABLE)
def test_queries_it_cannot_classify_are_refused_with_a_reason(query: str, why: str) -> None:
    with pytest.raises(UnclassifiableQueryError) as info:
        query_tables(query)
    assert why in info.value.reason


INJECTIONS = [
    "SELECT id FROM customer WHERE name = 'x' UNION SELECT id FROM vendor",
    "SELECT id FROM customer WHERE id = 1 OR 1 = 1 UNION SELECT id FROM employee --",
    "SELECT id FROM customer WHERE id IN (SELECT id FROM vendor)",
    "SELECT id FROM customer c, vendor v",
    "SELECT id FROM customer /* harmless */ , /* */ employee",
    "SELECT id FROM customer WHERE x = '' || (SELECT MAX(email) FROM employee) || ''",
    "SELECT id FROM customer; SELECT id FROM vendor",
    "WITH customer AS (SELECT * FROM vendor) SELECT * FROM customer",
    "SELECT id FROM customer\nUNION\nSELECT id FROM\n\"EMPLOYEE\"",
    "SELECT id FROM customer c JOIN (SELECT * FROM (SELECT id FROM vendor)) x ON 1 = 1",
]


@pytest.mark.parametrize("query", INJECTIONS)
def test_an_agent_with_customer_only_never_reads_another_table(query: str) -> None:
    grants = AgentGrants("bot", records={"customer": "read"}, suiteql=True)
    decision = grants.query(query)
    assert not decision.allowed, decision


def test_keywords_inside_literals_and_comments_do_not_count() -> None:
    grants = AgentGrants("bot", records={"customer": "read"}, suiteql=True)
    for query in [
        "SELECT id FROM customer WHERE x = 'a'' UNION SELECT id FROM vendor --'",
        "SELECT id FROM customer WHERE x = q'{ ; DELETE FROM vendor }'",
        "SELECT id FROM customer -- UNION SELECT id FROM vendor",
        "SELECT id AS \"FROM vendor\" FROM customer",
    ]:
        assert grants.query(query).allowed, query


def test_transaction_is_never_implied_by_a_transaction_type() -> None:
    g = AgentGrants("bot", records={"invoice": "full", "salesOrder": "read"}, suiteql=True)
    assert not g.query("SELECT id FROM transaction").allowed
    assert g.query("SELECT id FROM invoice").allowed
    listed = AgentGrants("bot", suiteql=True, tables=frozenset({"transaction"}))
    assert listed.query("SELECT id FROM transaction").allowed
    assert not listed.record("get", "transaction").allowed  # a table grant is not a record grant


def test_star_and_none_levels() -> None:
    p = AccessPolicy.from_dict({"reader": {"records": {"*": "read", "employee": "none"}, "suiteql": True}})
    g = p.grants("reader")
    assert g.record("get", "anything").allowed
    assert not g.record("update", "anything").allowed
    assert not g.record("get", "employee").allowed
    assert g.query("SELECT id FROM vendor").allowed
    assert not g.query("SELECT id FROM employee").allowed


@pytest.mark.parametrize(("data", "message"), [
    ({"bot": {"records": {"customer": "admin"}}}, "unknown level 'admin' for record type 'customer'"),
    ({"bot": {"recrods": {}}}, "unknown key 'recrods'"),
    ({"bot": {"suiteql": "yes"}}, "'suiteql' must be true or false"),
    ({"bot": {"records": ["customer"]}}, "'records' must map record types to levels"),
    ({"bot": {"records": {"cust omer": "read"}}}, "is not a record type name"),
    ({"bot": {"records": {"Customer": "read", "customer": "full"}}}, "listed twice"),
    ({"bot": {"tables": "transaction"}}, "'tables' must be a list"),
    ({"bot": {"restlets": ["customscript_x:deploy:3"]}}, "must be a script id"),
    ({"bot": "read"}, "expected a table of grants"),
    ({"": {}}, "non-empty"),
])
def test_policy_validation_errors_are_clear(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        AccessPolicy.from_dict(data)
    assert message in str(info.value)


def test_toml_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[finance-bot]\nsuiteql = true\ntables = ["transaction"]\nrestlets = ["customscript_report"]\n'
        '[finance-bot.records]\ncustomer = "read"\ninvoice = "write"\n\n'
        '[support-bot]\nrecords = { customer = "read" }\n'
    )
    policy = AccessPolicy.from_toml(path)
    assert policy.agents == ("finance-bot", "support-bot")
    fb = policy.grants("finance-bot")
    assert fb.level("invoice") == "write"
    assert fb.suiteql
    assert fb.restlet("customscript_report", 1).allowed
    bad = tmp_path / "bad.toml"
    bad.write_text('[bot]\nrecords = { customer = "owner" }\n')
    with pytest.raises(ValueError, match=r"bad\.toml: policy for agent 'bot': unknown level 'owner'"):
        AccessPolicy.from_toml(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[bot\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        AccessPolicy.from_toml(broken)


# Queries the emulator's SQLite can run: SQLite's authorizer then reports every table the statement really reads,
# an independent oracle for query_tables. Each comes with its CTE names: SQLite reports reading a CTE under its
# name, indistinguishable from a table of that name.
ORACLE_QUERIES: list[tuple[str, set[str]]] = [
    ("SELECT id FROM customer", set()),
    ("SELECT c.id FROM customer c, vendor v WHERE c.id = v.id", set()),
    ("SELECT c.id FROM customer c LEFT JOIN invoice t ON t.entity = c.id", set()),
    ("SELECT c.id FROM customer c JOIN vendor v ON v.id = c.id, employee e", set()),
    ("SELECT id FROM customer WHERE id IN (SELECT id FROM vendor UNION SELECT id FROM employee)", set()),
    ("SELECT id FROM customer UNION ALL SELECT id FROM contact", set()),
    ("SELECT id FROM customer MINUS SELECT id FROM employee", set()),
    ("SELECT (SELECT MAX(id) FROM vendor) AS m, id FROM customer", set()),
    ("SELECT id FROM customer c WHERE EXISTS (SELECT 1 FROM transactionline l WHERE l.id = c.id)", set()),
    ("SELECT * FROM (SELECT id FROM vendor) sub, customer", set()),
    ("WITH recent AS (SELECT id FROM salesorder) SELECT r.id FROM recent r", {"recent"}),
    ("WITH customer AS (SELECT id FROM vendor) SELECT id FROM customer", {"customer"}),
    ("WITH a AS (SELECT id FROM employee), b AS (SELECT id FROM a UNION SELECT id FROM subsidiary) SELECT id FROM b",
     {"a", "b"}),
    ("SELECT id FROM customer -- , vendor\nWHERE id > 0", set()),
    ("SELECT 'FROM vendor' AS x FROM customer /* JOIN employee */", set()),
    ('SELECT id FROM "VENDOR"', set()),
    ("SELECT c.id FROM customer c CROSS JOIN department d NATURAL JOIN location", set()),
]


@pytest.mark.parametrize(("query", "ctes"), ORACLE_QUERIES)
def test_query_tables_never_misses_a_table_sqlite_reads(query: str, ctes: set[str]) -> None:
    import sqlite3

    from netsuite_async.testing import FakeNetSuite
    from netsuite_async.testing._suiteql import translate

    conn = FakeNetSuite(seed={"customers": 2}).emulator.store.connection
    read: set[str] = set()

    def authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None, inner: str | None) -> int:
        if action == sqlite3.SQLITE_READ and arg1:
            read.add(arg1.lower())
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorizer)
    try:
        # The emulator's translator has no WITH; these queries are SQLite as they stand.
        sql = query if query.startswith("WITH") else translate(query)
        conn.execute(f"SELECT * FROM ({sql}) LIMIT 0").fetchall()
    finally:
        conn.set_authorizer(None)
    read -= ctes
    assert read, "the oracle saw no table"
    assert read <= query_tables(query), f"SQLite read {sorted(read)}, query_tables found {sorted(query_tables(query))}"


# -- properties: the answer depends on the tables, never on comments, literals, case or spacing ----------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TABLES = ["customer", "vendor", "employee", "transaction", "item", "contact"]
NOISE = ["/* FROM vendor */", "-- JOIN employee\n", "/* ; DELETE */", "\n", "  ", "\t"]
JOINS = [" JOIN ", " LEFT JOIN ", " LEFT OUTER JOIN ", " INNER JOIN ", " CROSS JOIN ", " FULL OUTER JOIN ", ", "]


@st.composite
def select(draw: st.DrawFn, depth: int = 0) -> tuple[str, set[str]]:
    """A random SELECT and the tables it reads."""
    n = draw(st.integers(1, 3))
    tables: set[str] = set()
    sources: list[str] = []
    for i in range(n):
        if depth < 2 and draw(st.booleans()) and draw(st.booleans()):
            sub, inner = draw(select(depth + 1))
            sources.append(f"({sub}) s{depth}{i}")
            tables |= inner
        else:
            t = draw(st.sampled_from(TABLES))
            shown = draw(st.sampled_from([t, t.upper(), f'"{t.upper()}"']))
            sources.append(f"{shown} t{depth}{i}")
            tables.add(t)
    text = sources[0]
    for s in sources[1:]:
        join = draw(st.sampled_from(JOINS))
        on = "" if join in (", ", " CROSS JOIN ") else " ON 1 = 1"
        text += f"{join}{s}{on}"
    where = ""
    if depth < 2 and draw(st.booleans()):
        sub, inner = draw(select(depth + 1))
        where = f" WHERE id IN ({sub})"
        tables |= inner
    elif draw(st.booleans()):
        where = " WHERE name = 'x FROM vendor UNION SELECT 1 FROM employee' AND id > ?"
    query = f"SELECT id, 'FROM employee' AS f FROM {text}{where}"
    if depth == 0 and draw(st.booleans()):
        other, inner = draw(select(depth + 1))
        query += f" {draw(st.sampled_from(['UNION', 'UNION ALL', 'MINUS', 'INTERSECT']))} {other}"
        tables |= inner
    return query, tables


@settings(max_examples=300, deadline=None)
@given(select(), st.lists(st.sampled_from(NOISE), max_size=4), st.randoms(use_true_random=False))
def test_random_queries_give_exactly_their_tables(generated: tuple[str, set[str]], noise: list[str],
                                                   rnd: object) -> None:
    query, tables = generated
    assert query_tables(query) == frozenset(tables)
    # Comments and spacing between tokens change nothing.
    words = query.split(" ")
    for piece in noise:
        at = rnd.randrange(1, len(words))  # type: ignore[attr-defined]
        words.insert(at, piece)
    assert query_tables(" ".join(words)) == frozenset(tables)


@settings(max_examples=300, deadline=None)
@given(select(), st.integers(0, 10_000))
def test_cutting_a_query_anywhere_never_loses_a_table(generated: tuple[str, set[str]], cut: int) -> None:
    # A query cut between two words is refused or reads a subset of the whole one's tables.
    query, tables = generated
    words = query.split(" ")
    prefix = " ".join(words[: cut % (len(words) + 1)])
    try:
        found = query_tables(prefix)
    except UnclassifiableQueryError:
        return
    assert found <= frozenset(tables)

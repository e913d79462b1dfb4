"""Record-filter dates follow the account's date format preference, in the emulator and in the client.

NetSuite reads ``q`` dates only in the account's date format (M/D/YYYY, D/M/YYYY or YYYY-MM-DD here, the
``date_format`` dialect field) and refuses the other spellings. The client writes ``datetime.date`` values in the
format it is told (``NetSuiteClient(date_format=...)``) and, when it is not told, raises a typed error before
sending anything rather than guess.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from netsuite_async import DATE_FORMATS, DateFormatRequiredError, NetSuiteClient, Q, format_q_date
from netsuite_async.auth.bearer import BearerToken
from netsuite_async.cli.app import main
from netsuite_async.cli.config import ConfigError, Settings, load_settings
from netsuite_async.cli.connect import make_client
from netsuite_async.testing import FakeNetSuite
from netsuite_async.testing._dialect import DATE_FORMATS as DIALECT_DATE_FORMATS
from netsuite_async.testing._dialect import Dialect

pytestmark = pytest.mark.anyio

R = "/services/rest/record/v1"
HIRED = {"Ann": "2024-12-31", "Bob": "2024-01-02", "Cy": "2024-02-01"}
# The same day in each format, and spellings only one reading allows.
SPELLINGS = {
    "M/D/YYYY": {"2024-12-31": "12/31/2024", "2024-01-02": "1/2/2024", "2024-02-01": "2/1/2024"},
    "D/M/YYYY": {"2024-12-31": "31/12/2024", "2024-01-02": "2/1/2024", "2024-02-01": "1/2/2024"},
    "YYYY-MM-DD": {"2024-12-31": "2024-12-31", "2024-01-02": "2024-01-02", "2024-02-01": "2024-02-01"},
}


@pytest.fixture(params=DATE_FORMATS)
def date_format(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake(date_format: str) -> AsyncIterator[FakeNetSuite]:
    async with FakeNetSuite(seed={}, dialect={"date_format": date_format}) as emulator:
        http = emulator.http_client(headers={"Authorization": f"Bearer {emulator.credentials.static_token}"})
        for first, hired in HIRED.items():
            resp = await http.post(
                f"{R}/employee", json={"firstName": first, "lastName": "Test", "hireDate": hired}
            )
            assert resp.status_code == 204, resp.text
        yield emulator


async def _hired_on(fake: FakeNetSuite, text: str) -> tuple[int, list[str]]:
    http = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
    resp = await http.get(f"{R}/employee", params={"q": f"hireDate ON {text}"})
    if resp.status_code != 200:
        return resp.status_code, []
    names = []
    for item in resp.json()["items"]:
        record = (await http.get(f"{R}/employee/{item['id']}")).json()
        names.append(record["firstName"])
    return 200, names


def test_the_client_and_the_emulator_know_the_same_formats() -> None:
    assert DATE_FORMATS == DIALECT_DATE_FORMATS


async def test_the_emulator_reads_q_dates_only_in_the_account_format(fake: FakeNetSuite, date_format: str) -> None:
    by_day = {hired: name for name, hired in HIRED.items()}
    for day, text in SPELLINGS[date_format].items():
        assert await _hired_on(fake, text) == (200, [by_day[day]]), text
        assert await _hired_on(fake, f'"{text}"') == (200, [by_day[day]]), text
    # Spellings that only another format allows are refused with 400, like NetSuite.
    foreign = {"M/D/YYYY": ["31/12/2024", "2024-12-31"], "D/M/YYYY": ["12/31/2024", "2024-12-31"],
               "YYYY-MM-DD": ["12/31/2024", "31/12/2024"]}[date_format]
    for text in foreign:
        status, _ = await _hired_on(fake, text)
        assert status == 400, text


async def test_a_refused_q_date_names_the_q_parameter_and_the_format(fake: FakeNetSuite, date_format: str) -> None:
    http = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
    resp = await http.get(f"{R}/employee", params={"q": "hireDate ON 2024-13-45"})
    assert resp.status_code == 400
    detail = resp.json()["o:errorDetails"][0]
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["o:errorQueryParam"] == "q"
    assert date_format in detail["detail"]


async def test_the_client_writes_dates_in_its_configured_format(fake: FakeNetSuite, date_format: str) -> None:
    async with fake.client(date_format=date_format) as ns:
        for name, hired in HIRED.items():
            q = Q("hireDate").on(dt.date.fromisoformat(hired))
            ids = [r.id async for r in ns.records.list("employee", q=q)]
            assert len(ids) == 1
            got = await ns.records.get("employee", ids[0])
            assert got["firstName"] == name
        between = Q("hireDate").op("WITHIN", dt.date(2024, 1, 1), dt.date(2024, 1, 31))
        assert len([r async for r in ns.records.list("employee", q=between)]) == 1
        after = Q("hireDate").after(dt.date(2024, 1, 31)) & Q("lastName").is_("Test")
        assert len([r async for r in ns.records.list("employee", q=after)]) == 2


async def test_a_client_set_to_another_format_is_refused_not_misread(fake: FakeNetSuite, date_format: str) -> None:
    # 12/31 exists in one reading only, so a wrong setting fails loudly instead of matching another day.
    wrong = next(f for f in DATE_FORMATS if f != date_format)
    async with fake.client(date_format=wrong) as ns:
        from netsuite_async import BadRequestError

        with pytest.raises(BadRequestError) as info:
            [r async for r in ns.records.list("employee", q=Q("hireDate").on(dt.date(2024, 12, 31)))]
    assert info.value.details[0].error_query_param == "q"


async def test_a_date_filter_without_a_date_format_raises_before_any_request(fake: FakeNetSuite) -> None:
    async with fake.client() as ns:
        before = fake.emulator.counters.requests
        with pytest.raises(DateFormatRequiredError) as info:
            ns.records.list("employee", q=Q("hireDate").after(dt.date(2024, 1, 1)))
        assert fake.emulator.counters.requests == before
        # Filters without dates need no setting.
        assert len([r async for r in ns.records.list("employee", q=Q("lastName").is_("Test"))]) == 3
    message = str(info.value)
    assert "date_format" in message
    assert "Set Preferences" in message
    assert isinstance(info.value, ValueError)


def test_q_text_with_a_date_needs_a_format() -> None:
    q = Q("hireDate").on_or_before(dt.date(2024, 3, 4)) | Q("id").equal(5)
    assert q.has_dates
    with pytest.raises(DateFormatRequiredError):
        str(q)
    assert q.render("M/D/YYYY") == 'hireDate ON_OR_BEFORE "3/4/2024" OR id EQUAL 5'
    assert q.render("D/M/YYYY") == 'hireDate ON_OR_BEFORE "4/3/2024" OR id EQUAL 5'
    assert q.render("YYYY-MM-DD") == 'hireDate ON_OR_BEFORE "2024-03-04" OR id EQUAL 5'
    assert "2024-03-04" in repr(q)
    assert q == Q("hireDate").on_or_before(dt.date(2024, 3, 4)) | Q("id").equal(5)
    assert Q("id").any_of(1, 2).render() == "id ANY_OF [1, 2]"
    within = Q("d").op("WITHIN", dt.date(2024, 1, 1), dt.date(2024, 1, 9))
    assert within.render("d/m/yyyy") == 'd WITHIN ["1/1/2024", "9/1/2024"]'


@pytest.mark.parametrize("bad", ["DD.MM.YYYY", "", "mdy"])
def test_an_unknown_date_format_is_refused_at_construction(bad: str) -> None:
    with pytest.raises(ValueError, match="date_format"):
        NetSuiteClient("1234567", auth=BearerToken("t"), date_format=bad)
    with pytest.raises(TypeError):
        NetSuiteClient("1234567", auth=BearerToken("t"), date_format=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_q_date(dt.datetime(2024, 1, 1), "M/D/YYYY")  # type: ignore[arg-type]


# -- the CLI's settings --------------------------------------------------------------------------------------------


def test_cli_settings_take_the_date_format_from_env_profile_flag_or_dialect_file(tmp_path: Path) -> None:
    env = {"NETSUITE_ACCOUNT": "1234567", "NETSUITE_ACCESS_TOKEN": "x", "NETSUITE_CONFIG": str(tmp_path / "none")}
    assert load_settings(env={**env, "NETSUITE_DATE_FORMAT": "D/M/YYYY"}).resolved_date_format() == "D/M/YYYY"
    profile = tmp_path / "config.toml"
    profile.write_text('[default]\naccount = "1234567"\naccess_token = "x"\ndate_format = "YYYY-MM-DD"\n')
    profile.chmod(0o600)
    from_profile = load_settings(env={"NETSUITE_CONFIG": str(profile)})
    assert from_profile.resolved_date_format() == "YYYY-MM-DD"
    flagged = load_settings(env={"NETSUITE_CONFIG": str(profile)}, overrides={"date_format": "m/d/yyyy"})
    assert flagged.resolved_date_format() == "M/D/YYYY"
    dialect_file = tmp_path / "account.json"
    Dialect(date_format="D/M/YYYY").save(dialect_file)
    from_file = load_settings(env={**env, "NETSUITE_DIALECT": str(dialect_file)})
    assert from_file.resolved_date_format() == "D/M/YYYY"
    client = make_client(from_file)
    assert client.date_format == "D/M/YYYY"
    assert make_client(load_settings(env=env)).date_format is None
    with pytest.raises(ConfigError, match="date_format"):
        Settings(date_format="Y/M/D").resolved_date_format()


def test_cli_refuses_a_bad_date_format_with_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"NETSUITE_ACCOUNT": "1234567", "NETSUITE_ACCESS_TOKEN": "x", "NETSUITE_CONFIG": str(tmp_path / "none"),
           "NETSUITE_BASE_URL": "http://127.0.0.1:9"}
    result = runner.invoke(main, ["--date-format", "DD.MM.YYYY", "record", "get", "customer", "1"], env=env)
    assert result.exit_code == 2
    assert "date_format" in result.output
    described = runner.invoke(main, ["--json", "--date-format", "D/M/YYYY", "auth", "show"], env=env)
    assert described.exit_code == 0, described.output
    assert json.loads(described.output)["date_format"] == "D/M/YYYY"

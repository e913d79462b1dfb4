"""CLI configuration: profiles, environment, emulator configs and overrides resolve predictably, and secrets
never show."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from netsuite_async.cli.config import ConfigError, Settings, default_config_path, load_settings
from netsuite_async.cli.connect import build_auth, parse_concurrency

SECRET = "s3cr3t-value-that-must-not-leak"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_environment_variables_fill_every_setting() -> None:
    env = {
        "NETSUITE_ACCOUNT": "1234567-sb1",
        "NETSUITE_CONSUMER_KEY": "ck",
        "NETSUITE_CONSUMER_SECRET": SECRET,
        "NETSUITE_TOKEN_ID": "tid",
        "NETSUITE_TOKEN_SECRET": SECRET,
        "NETSUITE_BASE_URL": "http://127.0.0.1:9",
        "NETSUITE_CONCURRENCY": "premium+1",
    }
    s = load_settings(env=env, config_path=Path("/nonexistent/config.toml"))
    assert (s.account, s.consumer_key, s.token_secret, s.base_url) == (
        "1234567-sb1",
        "ck",
        SECRET,
        env["NETSUITE_BASE_URL"],
    )
    assert s.auth_kind() == "tba"
    assert parse_concurrency(s.concurrency).limit == 25  # type: ignore[union-attr]


def test_default_profile_is_used_and_environment_overrides_it(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", '[default]\naccount = "111"\ntoken_id = "from-file"\n')
    s = load_settings(env={"NETSUITE_TOKEN_ID": "from-env"}, config_path=cfg)
    assert s.account == "111"
    assert s.token_id == "from-env"
    assert any("profile default" in src for src in s.sources)


def test_named_profile_is_selected_by_option_or_environment(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[default]\naccount = "1"\n[prod]\naccount = "2"\nconcurrency = 20\n')
    assert load_settings(profile="prod", env={}, config_path=cfg).account == "2"
    s = load_settings(env={"NETSUITE_PROFILE": "prod"}, config_path=cfg)
    assert (s.account, s.concurrency) == ("2", "20")


def test_env_indirection_reads_secrets_from_named_variables(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[default]\naccount = "1"\ntoken_secret_env = "MY_VAULT_SECRET"\n')
    s = load_settings(env={"MY_VAULT_SECRET": SECRET}, config_path=cfg)
    assert s.token_secret == SECRET


def test_env_indirection_to_an_unset_variable_is_a_clear_error(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[default]\ntoken_secret_env = "NOT_SET_ANYWHERE"\n')
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE"):
        load_settings(env={}, config_path=cfg)


def test_unknown_profile_keys_are_refused_so_typos_are_noticed(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[default]\nconsumer_secert = "x"\n')
    with pytest.raises(ConfigError, match="unknown key 'consumer_secert'"):
        load_settings(env={}, config_path=cfg)


def test_missing_profile_names_the_available_ones(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[default]\naccount = "1"\n[sandbox]\naccount = "2"\n')
    with pytest.raises(ConfigError, match=r"no profile \[prod\].*default, sandbox"):
        load_settings(profile="prod", env={}, config_path=cfg)


def test_requested_profile_without_a_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(profile="prod", env={}, config_path=tmp_path / "missing.toml")


def test_invalid_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    cfg = write(tmp_path / "broken.toml", "[default\naccount=")
    with pytest.raises(ConfigError, match=r"broken\.toml.*not valid TOML"):
        load_settings(env={}, config_path=cfg)


def test_a_world_readable_profile_with_secrets_gets_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(tmp_path / "c.toml", f'[default]\ntoken_secret = "{SECRET}"\n', mode=0o644)
    load_settings(env={}, config_path=cfg)
    err = capsys.readouterr().err
    assert "chmod 600" in err
    assert SECRET not in err


def test_emulator_config_supplies_connection_and_credentials(tmp_path: Path) -> None:
    data = {
        "base_url": "http://127.0.0.1:8089",
        "account": "1234567_SB1",
        "consumer_key": "ck",
        "consumer_secret": SECRET,
        "token_id": "ti",
        "token_secret": SECRET,
        "static_token": "static",
        "auth_code_client_id": "acid",
    }
    path = tmp_path / "emu.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    s = load_settings(env={"NETSUITE_ACCOUNT": "999"}, config_path=tmp_path / "none.toml", emulator_config=path)
    assert s.account == "1234567_SB1"  # the explicit emulator config beats the environment
    assert s.restlet_base_url == data["base_url"]
    assert s.access_token == "static"
    assert s.auth_code_client_id == "acid"


def test_command_line_overrides_win_over_everything(tmp_path: Path) -> None:
    s = load_settings(
        env={"NETSUITE_ACCOUNT": "1", "NETSUITE_ACCESS_TOKEN": "t"},
        config_path=tmp_path / "none.toml",
        overrides={"account": "2", "base_url": None},
    )
    assert s.account == "2"


def test_repr_str_and_describe_never_contain_secrets() -> None:
    s = Settings(
        account="1",
        consumer_secret=SECRET,
        token_secret=SECRET,
        private_key=SECRET,
        client_secret=SECRET,
        access_token=SECRET,
        auth_code_client_secret=SECRET,
    )
    assert SECRET not in repr(s)
    assert SECRET not in str(s)
    assert SECRET not in json.dumps(s.describe())
    assert s.describe()["access_token"] == "***"


def test_auth_kind_prefers_complete_tba_then_m2m_then_bearer() -> None:
    tba = dict(consumer_key="a", consumer_secret="b", token_id="c", token_secret="d")
    m2m = dict(client_id="e", certificate_id="f", private_key="PEM")
    assert Settings(**tba, **m2m, access_token="x").auth_kind() == "tba"
    assert Settings(**m2m, access_token="x").auth_kind() == "m2m"
    assert Settings(access_token="x", consumer_key="only-half").auth_kind() == "bearer"
    assert Settings(**tba, access_token="x", auth="bearer").auth_kind() == "bearer"


def test_no_credentials_explains_how_to_configure_and_mentions_the_demo() -> None:
    with pytest.raises(ConfigError, match=r"NETSUITE_CONSUMER_KEY.*netsuite-async demo"):
        Settings(account="1").auth_kind()


def test_unknown_auth_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown auth kind"):
        Settings(auth="basic").auth_kind()


def test_build_auth_makes_each_provider_and_masks_it() -> None:
    assert type(build_auth(Settings(access_token=SECRET))).__name__ == "BearerToken"
    tba = build_auth(Settings(consumer_key="a", consumer_secret=SECRET, token_id="c", token_secret=SECRET))
    assert type(tba).__name__ == "TokenAuth"
    assert SECRET not in repr(tba)


def test_unreadable_private_key_file_is_a_clear_error(tmp_path: Path) -> None:
    s = Settings(client_id="c", certificate_id="k", private_key_file=str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="cannot read the private key file"):
        build_auth(s)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 5), ("auto", "auto"), ("AUTO", "auto"), (None, None), ("", None)],
)
def test_concurrency_accepts_numbers_and_auto(text: str | None, expected: object) -> None:
    assert parse_concurrency(text) == expected


@pytest.mark.parametrize(("text", "limit"), [("standard", 5), ("premium", 15), ("tier2", 20), ("ultimate+3", 50)])
def test_concurrency_accepts_service_tiers_with_licences(text: str, limit: int) -> None:
    assert parse_concurrency(text).limit == limit  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["0", "lots", "premium+x", "-3"])
def test_bad_concurrency_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_concurrency(text)


def test_default_config_path_follows_xdg_and_override() -> None:
    assert default_config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/netsuite-async/config.toml")
    assert default_config_path({"NETSUITE_CONFIG": "/y/c.toml", "XDG_CONFIG_HOME": "/x"}) == Path("/y/c.toml")

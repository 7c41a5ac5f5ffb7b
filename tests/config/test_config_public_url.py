"""`public_url` left unset follows the HTTP listener, so page links and Twilio signature checks
point where the desk actually listens."""

from __future__ import annotations

import pytest

from gateway.config.settings import load_settings


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8081, "http://127.0.0.1:8081"),
        ("::", 8082, "http://[::1]:8082"),
        ("desk.example", 80, "http://desk.example:80"),
    ],
)
def test_unset_public_url_follows_http(host: str, port: int, expected: str) -> None:
    settings = load_settings(environ={}, overrides={("http", "host"): host, ("http", "port"): port})
    assert settings.public_url == expected


def test_default_is_the_default_http_port() -> None:
    assert load_settings(environ={}).public_url == "http://127.0.0.1:8080"


def test_explicit_public_url_wins(tmp_path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('public_url = "https://desk.example/"\n[http]\nport = 9000\n')
    assert load_settings(config, environ={}).public_url == "https://desk.example"
    env = {"INTAKE_PUBLIC_URL": "https://other.example"}
    assert load_settings(environ=env, overrides={("http", "port"): 9000}).public_url == (
        "https://other.example"
    )


def test_bad_http_port_is_reported_once_as_itself(tmp_path) -> None:
    from gateway.config.settings import ConfigError

    config = tmp_path / "intake.toml"
    config.write_text("[http]\nport = 99999\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert str(caught.value).splitlines() == [
        line for line in str(caught.value).splitlines() if "http.port" in line
    ]

"""One duration syntax for every duration field of the config file, and clear refusals."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.config import ConfigError, Settings, load_settings, parse_duration

ONCALL = """
[oncall]
timezone = "America/New_York"
[[oncall.staff]]
id = "alice"
name = "Alice"
phone = "+12025550101"
[oncall.rotation]
kind = "weekly"
handoff = "09:00"
start = "2026-01-05"
order = ["alice"]
[oncall.escalation]
fallback = "alice"
fallback_delay = {fallback_delay}
[[oncall.escalation.step]]
target = "primary"
delay = {delay}
"""

# Fields inside arrays of tables: the TOML that sets them to {value}, and how to read it back.
# Every other duration field is in a plain table and is set as `[table]` `name = {value}`.
IN_ARRAYS: dict[str, tuple[str, Callable[[Settings], Any]]] = {
    "paging.rate_limit.per": (
        "[[paging.rate_limit]]\ncount = 3\nper = {value}",
        lambda s: s.paging.rate_limit[0].per,
    ),
    "oncall.escalation.step.delay": (
        ONCALL.replace("{fallback_delay}", '"1m"').replace("{delay}", "{value}"),
        lambda s: s.oncall.escalation.step[0].delay,
    ),
    "oncall.escalation.fallback_delay": (
        ONCALL.replace("{delay}", '"1m"').replace("{fallback_delay}", "{value}"),
        lambda s: s.oncall.escalation.fallback_delay,
    ),
}

ACCEPTED = [
    ('"90s"', timedelta(seconds=90)),
    ('"10m"', timedelta(minutes=10)),
    ('"1h30m"', timedelta(hours=1, minutes=30)),
    ('"1h 30m"', timedelta(hours=1, minutes=30)),
    ('"2d"', timedelta(days=2)),
    ('"1d2h3m4s"', timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ('" 1H30M "', timedelta(hours=1, minutes=30)),
    ("90", timedelta(seconds=90)),
    ("1.5", timedelta(seconds=1.5)),
]

REFUSED = [
    ('"soon"', "expected a duration like '90s', '10m', '1h30m' or '2d', got 'soon'"),
    ('"90"', "got '90' (add a unit: s, m, h or d)"),
    ('"1.5h"', "got '1.5h'"),
    ('"30m1h"', "got '30m1h'"),
    ('"10 m"', "got '10 m'"),
    ('""', "got ''"),
    ('"-5m"', "got '-5m'"),
    ("-5", "a duration cannot be negative"),
    ("true", "expected a duration like"),
    ('"999999999999d"', "duration '999999999999d' is too long"),
]


def _fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, list[Any]]]:
    """Every leaf field of the settings tree: dotted path, annotation parts and metadata."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        parts = [info.annotation, *getattr(info.annotation, "__args__", ())]  # `X | None`
        metadata = [*info.metadata]
        for part in parts:  # `Annotated[timedelta, ...]` inside a union
            metadata += [getattr(part, "__origin__", None), *getattr(part, "__metadata__", ())]
        yield path, [*parts, *metadata]
        for cls in _classes(info.annotation):
            if issubclass(cls, BaseModel):
                yield from _fields(cls, f"{path}.")


def _duration_fields() -> list[str]:
    return sorted(
        path
        for path, found in _fields(Settings)
        if any(getattr(meta, "func", None) is parse_duration for meta in found)
    )


def _timedelta_fields() -> list[str]:
    return sorted(path for path, found in _fields(Settings) if timedelta in found)


def _case(field: str) -> tuple[str, Callable[[Settings], Any]]:
    if field in IN_ARRAYS:
        return IN_ARRAYS[field]
    table, name = field.split(".")
    return f"[{table}]\n{name} = {{value}}", lambda s: getattr(getattr(s, table), name)


def _classes(annotation: Any) -> Iterator[type]:
    if isinstance(annotation, type):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _classes(arg)


DURATION_FIELDS = _duration_fields()


def _load(tmp_path: Path, toml: str) -> Settings:
    config = tmp_path / "intake.toml"
    config.write_text(toml)
    return load_settings(config, environ={})


def test_every_timedelta_setting_is_a_duration() -> None:
    """A new `timedelta` field must be a `Duration`, or it would not take "1h30m"."""
    assert _timedelta_fields() == DURATION_FIELDS
    assert set(IN_ARRAYS) <= set(DURATION_FIELDS)
    assert len(DURATION_FIELDS) >= 11


@pytest.mark.parametrize("field", DURATION_FIELDS)
@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_every_duration_field_accepts_the_same_strings(
    tmp_path: Path, field: str, text: str, expected: timedelta
) -> None:
    template, read = _case(field)
    settings = _load(tmp_path, template.replace("{value}", text))
    assert read(settings) == expected


@pytest.mark.parametrize("field", DURATION_FIELDS)
@pytest.mark.parametrize(("text", "message"), REFUSED, ids=[t for t, _ in REFUSED])
def test_every_duration_field_refuses_nonsense_naming_file_and_key(
    tmp_path: Path, field: str, text: str, message: str
) -> None:
    template, _ = _case(field)
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, template.replace("{value}", text))
    error = str(caught.value)
    assert error.startswith(f"{tmp_path / 'intake.toml'}: ")
    key = re.sub(r"\.(rate_limit|step)\.", r".\1[0].", field)
    assert f": {key}: " in error, error
    assert message in error
    assert "Traceback" not in error and "pydantic" not in error


def test_zero_is_a_duration_but_an_escalation_step_must_wait(tmp_path: Path) -> None:
    assert _load(tmp_path, '[ack]\nwindow = "0s"').ack.window == timedelta(0)
    template, _ = IN_ARRAYS["oncall.escalation.step.delay"]
    with pytest.raises(ConfigError, match=r"oncall\.escalation\.step\[0\]\.delay: must be longer"):
        _load(tmp_path, template.replace("{value}", '"0s"'))


def test_the_readme_example_loads_with_its_durations(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (example,) = re.findall(r"```toml\n(.*?)```", readme, re.S)
    for name in ("cert.pem", "key.pem"):
        example = example.replace(f"/etc/intake/{name}", str(tmp_path / name))
    settings = _load(tmp_path, example)
    assert settings.ack.window == timedelta(hours=1)
    assert settings.outbox.give_up_after == timedelta(days=3)
    assert settings.twilio.transcription_timeout == timedelta(minutes=10)
    assert settings.oncall is not None
    assert [step.delay for step in settings.oncall.escalation.step] == [timedelta(minutes=10)] * 2

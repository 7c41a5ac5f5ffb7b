"""Finding, reading and validating policy files; every failure is a ``PolicyError``."""

from __future__ import annotations

import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from policies.errors import PolicyError
from policies.model import Policy
from policies.schema import PolicySpec, cross_field_problems

POLICY_DIR = Path(__file__).resolve().parent
_BUILTIN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def builtin_policy_names() -> list[str]:
    """Names of the policies shipped in the package (``policies/NAME.toml``), sorted."""
    return sorted(path.stem for path in POLICY_DIR.glob("*.toml"))


def load_policy(name_or_path: str | os.PathLike[str]) -> Policy:
    """A shipped policy by name ("threepbx"), or any file by path (ending ``.toml``)."""
    text = os.fspath(name_or_path)
    if text.endswith(".toml") or "/" in text or os.sep in text:
        return load_policy_file(text)
    if not _BUILTIN_NAME.match(text) or not (POLICY_DIR / f"{text}.toml").is_file():
        available = ", ".join(builtin_policy_names())
        raise PolicyError(
            text, "", f"no such policy (available: {available}; or give a .toml path)"
        )
    return load_policy_file(POLICY_DIR / f"{text}.toml")


def load_policy_file(path: str | os.PathLike[str]) -> Policy:
    """Load and validate one policy file. Cached while the file is unchanged."""
    given = Path(path)
    display = _display_name(given)
    try:
        stat = given.stat()
    except OSError as error:
        raise PolicyError(display, "", f"cannot read the file ({error.strerror})") from None
    return _load_cached(given.resolve(), stat.st_mtime_ns, stat.st_size, display)


def _display_name(path: Path) -> str:
    """Shipped policies read as ``policies/NAME.toml``; other files as given."""
    try:
        if path.resolve().parent == POLICY_DIR:
            return f"policies/{path.name}"
    except OSError:
        pass
    return str(path)


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int, size: int, display: str) -> Policy:
    return parse_policy(_read_toml(path, display), display)


def _read_toml(path: Path, display: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(display, "", f"not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise PolicyError(display, "", "not UTF-8 text") from None
    except OSError as error:
        raise PolicyError(display, "", f"cannot read the file ({error.strerror})") from None


def parse_policy(data: dict[str, Any], source: str) -> Policy:
    """Validate a parsed TOML document; ``source`` names the file in errors."""
    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as error:
        raise _policy_error(source, _validation_problems(error)) from None
    problems = cross_field_problems(spec)
    if problems:
        raise _policy_error(source, problems)
    return Policy(spec, source)


def _policy_error(source: str, problems: list[tuple[str, str]]) -> PolicyError:
    errors = [PolicyError(source, field, problem) for field, problem in problems]
    return PolicyError(source, errors[0].field, errors[0].problem, tuple(errors[1:]))


def _validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    return [
        (_field_path(item["loc"]), _problem_text(item)) for item in error.errors(include_url=False)
    ]


def _field_path(loc: tuple[int | str, ...]) -> str:
    """("priority", 2, "respond") -> "priority[2].respond"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _problem_text(item: Any) -> str:
    kind = item["type"]
    given = item.get("input")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind in ("value_error", "assertion_error"):
        return str(item["ctx"]["error"])
    message = str(item["msg"])
    message = message[:1].lower() + message[1:]
    message = message.replace("input should be", "expected")
    if isinstance(given, str | int | float | bool):
        message += f", got {given!r}"
    return message

"""The classifier stands below the gateway, and its training code stays out of the runtime."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import classifier

PACKAGE = Path(classifier.__file__).parent
ROOT = PACKAGE.parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_classifier_never_imports_gateway_or_voice() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imports(path) if name.split(".")[0] in ("gateway", "voice")
        )
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_runtime_modules_never_import_training() -> None:
    runtime = [p for p in PACKAGE.rglob("*.py") if "training" not in p.relative_to(PACKAGE).parts]
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imports(path) if name.startswith("classifier.training")
        )
        for path in runtime
        if path.name != "cli.py"  # the commands import training lazily, inside their bodies
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_training_package_is_excluded_from_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    assert "classifier.training" in find["exclude"]
    assert "classifier.training.*" in find["exclude"]
    assert config["tool"]["setuptools"]["include-package-data"] is False  # only what is listed
    data = config["tool"]["setuptools"]["package-data"]["classifier"]
    assert not any(pattern.startswith("data") for pattern in data)


def test_loading_the_classifier_imports_no_training_code() -> None:
    code = (
        "import sys; from classifier import Triage; Triage.load(); "
        "import classifier.cli; "
        "bad = [m for m in sys.modules if m.startswith(('classifier.training', 'gateway'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

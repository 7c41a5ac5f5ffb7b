"""`intake classify` contract: JSON lines in, one answer per line out, in order."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from classifier.cli import classifier_app, classify
from gateway.triage import classifier_inputs


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """Mounted as `intake` mounts it: the gateway passes its mail parser and store in."""
    app = typer.Typer(context_settings={"obj": classifier_inputs()})
    app.command("classify")(classify)
    app.add_typer(classifier_app, name="classifier")
    return app


def run(app: typer.Typer, args: list[str], stdin: bytes | str) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, input=stdin)
    return result.exit_code, result.stdout


def test_jsonl_keeps_order_and_shape(app: typer.Typer) -> None:
    lines = [
        {"id": 7, "subject": "No dial tone", "body": "every desk phone is dead"},
        {"id": "b", "subject": "", "body": ""},
        {"id": None, "subject": "Question", "body": "How do I change my voicemail PIN?"},
        {
            "id": 3.5,
            "subject": "Calls dropping",
            "body": "calls drop intermittently for some users",
        },
    ] * 300
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    code, out = run(app, ["classify", "--policy", "threepbx", "--jsonl"], stdin)
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["id"] for a in answers] == [line["id"] for line in lines]
    assert [a["priority"] for a in answers[:4]] == ["P1", "P4", "P4", "P2"]
    for answer in answers:
        assert set(answer) == {"id", "priority", "confidence", "reasons"}
        assert isinstance(answer["reasons"], list)


def test_jsonl_bad_lines_still_get_an_answer(app: typer.Typer) -> None:
    stdin = b'{"id": 1, "subject": "x", "body": "y"}\nnot json\n[1, 2]\n\xff\xfe\n'
    code, out = run(app, ["classify", "--policy", "msp", "--jsonl"], stdin)
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 4
    assert answers[1]["priority"] == "P4"
    assert "line 2: not JSON" in answers[1]["reasons"]


def test_one_plain_text_message(app: typer.Typer) -> None:
    text = "Hosted email is down for all of our customers, everyone is locked out"
    code, out = run(app, ["classify", "--policy", "msp"], text)
    assert code == 0
    answer = json.loads(out)
    assert answer["id"] is None and answer["priority"] == "P1"


def test_one_rfc822_message(app: typer.Typer) -> None:
    raw = (
        b"From: Ann <ann@example.com>\r\nTo: support@example.com\r\n"
        b"Subject: [P1] staging server down\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Our staging server is down, production is fine.\r\n\r\n"
        b"On Monday Bob wrote:\r\n> everything is down for all customers\r\n"
    )
    code, out = run(app, ["classify", "--policy", "restcomm-standard"], raw)
    assert code == 0
    answer = json.loads(out)
    assert answer["priority"] == "P3"
    assert any("staging" in reason for reason in answer["reasons"])


def test_rfc822_without_the_gateway_is_read_by_the_standard_library() -> None:
    bare = typer.Typer()
    bare.command("classify")(classify)
    bare.command("other")(lambda: None)
    raw = (
        b"From: Ann <ann@example.com>\r\nSubject: No dial tone\r\n\r\n"
        b"Every desk phone in the building is dead.\r\n"
    )
    result = CliRunner().invoke(bare, ["classify", "--policy", "threepbx"], input=raw)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["priority"] == "P1"


def test_corrections_need_the_store_passed_in(tmp_path: Path) -> None:
    bare = typer.Typer()
    bare.add_typer(classifier_app, name="classifier")
    args = ["classifier", "train", "--include-corrections", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(bare, [*args, "--output", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "--include-corrections" in result.output


def test_unknown_policy_is_a_clear_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classify", "--policy", "no-such-policy"], input="x")
    assert result.exit_code == 2
    assert "--policy" in result.output


def test_evaluate_prints_the_figures_and_checks_targets(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classifier", "evaluate", "--check", "--errors"])
    assert result.exit_code == 0, result.output
    for name in ("restcomm-standard", "restcomm-premium", "msp", "jelastic", "threepbx"):
        assert name in result.output
    assert "top-priority (P1) recall" in result.output
    assert "labelled \\ proposed" in result.output


def test_train_includes_staff_corrections(app: typer.Typer, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "intake.db") as db:
        db.execute(
            "CREATE TABLE corrections (id INTEGER PRIMARY KEY, ticket_number INTEGER, policy TEXT,"
            " subject TEXT, body TEXT, old_priority TEXT, new_priority TEXT, reason TEXT,"
            " created_at TEXT)"
        )
        db.execute(
            "INSERT INTO corrections (ticket_number, policy, subject, body, old_priority,"
            " new_priority, reason, created_at) VALUES (1, 'threepbx', 'Fax', 'The fax line"
            " fails on every incoming fax', 'P4', 'P2', 'fax is call processing', '2024-01-01')"
        )
    output = tmp_path / "model"
    args = ["classifier", "train", "--include-corrections", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--output", str(output), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert "1 staff corrections" in result.output
    assert "(1 corrections, 0 skipped)" in result.output
    assert (output / "config.cfg").is_file()

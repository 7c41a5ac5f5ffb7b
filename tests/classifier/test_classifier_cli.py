"""`intake classify` contract: JSON lines in, one answer per line out, in order."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli import app as intake_app


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return intake_app


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


def test_jsonl_bad_line_is_an_error_naming_the_line(app: typer.Typer) -> None:
    """A line that is not a JSON object is not a message to classify: the lines before it are
    answered, then the command stops with a sentence naming the line (it used to answer
    "not json" with the default priority and exit 0)."""
    for bad, problem in (
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
    ):
        stdin = b'{"id": 1, "subject": "x", "body": "y"}\n\n' + bad + b'\n{"id": 3}\n'
        result = CliRunner().invoke(app, ["classify", "--policy", "msp", "--jsonl"], input=stdin)
        assert result.exit_code == 2
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert [a["id"] for a in answers] == [1]
        assert result.stderr.startswith(f"intake: stdin line 3: {problem}")


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


def test_unknown_policy_is_a_clear_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["classify", "--policy", "no-such-policy"], input="x")
    assert result.exit_code == 2
    assert "no-such-policy" in result.output
    # Worded like every other command that takes --policy.
    other = CliRunner().invoke(app, ["policies", "show", "no-such-policy"])
    assert result.stderr.splitlines()[0] == other.stderr.splitlines()[0]
    assert result.stderr.startswith("intake: no-such-policy: no such policy")


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


def test_evaluate_scores_any_graded_jsonl_file(app: typer.Typer, tmp_path: Path) -> None:
    rows = [
        {
            "policy": "jelastic",
            "level": "P1",  # a set written from the contract alone may number Jelastic's levels
            "acceptable": ["P1", "P2"],
            "channel": "email",
            "subject": "Platform down",
            "body": "Every customer environment on the platform is down since 09:00.",
        },
        {
            "policy": "jelastic",
            "level": "L4",
            "acceptable": ["L4", "L3"],
            "channel": "email",
            "subject": "Question",
            "body": "How do I change the PHP version of an environment? No rush.",
        },
    ]
    data = tmp_path / "graded.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["classifier", "evaluate", "--data", str(data)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    for figure in ("accuracy", "acceptable", "top-priority (L1) recall", "precision"):
        assert figure in out
    assert "raised to top 0/1" in out
    assert "labelled \\ proposed" in out
    missing = CliRunner().invoke(app, ["classifier", "evaluate", "--data", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "--data" in missing.output

"""The shipped model: it loads, meets the held-out targets, and is rebuilt by training."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from classifier import Triage
from classifier.locations import MODEL_DIR
from classifier.pipeline import has_model
from classifier.training.dataset import HELDOUT_FILE, TRAIN_FILE, Row, read_rows
from classifier.training.evaluate import TARGET_ACCURACY, TARGET_TOP_RECALL, evaluate
from policies import Policy


def test_shipped_model_loads(triage: Triage) -> None:
    assert has_model(MODEL_DIR)
    assert triage.trained
    assert triage.nlp.pipe_names == ["intake_signals", "textcat"]
    size = sum(f.stat().st_size for f in MODEL_DIR.rglob("*") if f.is_file())
    assert size < 5_000_000


def test_held_out_targets_per_policy(triage: Triage, policies: dict[str, Policy]) -> None:
    reports = evaluate(triage, read_rows(HELDOUT_FILE))
    assert {r.policy for r in reports} == set(policies)
    for report in reports:
        assert report.accuracy >= TARGET_ACCURACY, (report.policy, report.accuracy)
        assert report.top_recall >= TARGET_TOP_RECALL, (report.policy, report.top_recall)


def test_data_sets_cover_every_level_and_stay_apart(policies: dict[str, Policy]) -> None:
    train, heldout = read_rows(TRAIN_FILE), read_rows(HELDOUT_FILE)
    for name, policy in policies.items():
        levels = {p.id for p in policy.priorities}
        train_levels = Counter(r.level for r in train if r.policy == name)
        held_levels = Counter(r.level for r in heldout if r.policy == name)
        assert set(train_levels) == levels and set(held_levels) == levels, name
        assert sum(train_levels.values()) + sum(held_levels.values()) >= 150
        assert sum(held_levels.values()) >= 40
        assert min(train_levels.values()) >= 40
    assert not {r.body for r in train} & {r.body for r in heldout}
    voice = Counter(r.channel for r in heldout)
    assert voice["voice"] >= 30 and sum(1 for r in heldout if r.note) >= 25


def test_training_reproduces_the_shipped_model(
    tmp_path: Path, triage: Triage, policies: dict[str, Policy]
) -> None:
    """Training is deterministic: a fresh run from the shipped data proposes exactly what the
    shipped model proposes (so the model in the repository is the one the data builds)."""
    from classifier.training.train import train

    result = train(output=tmp_path / "model")
    assert result.corrections == 0 and result.examples >= 3000
    fresh = Triage.load(result.path)
    assert fresh.trained
    heldout = read_rows(HELDOUT_FILE)
    for name, policy in policies.items():
        items = [(r.subject, r.body) for r in heldout if r.policy == name]
        fresh_answers = [(p.priority, p.confidence) for p in fresh.propose_many(policy, items)]
        shipped = [(p.priority, p.confidence) for p in triage.propose_many(policy, items)]
        assert fresh_answers == shipped, name


def test_corrections_with_unknown_levels_are_skipped() -> None:
    from classifier.training.train import label_corrections

    rows = [
        Row("threepbx", "P9", None, "email", "x", "phones are down"),
        Row("no-such-policy", "P1", None, "email", "x", "phones are down"),
        Row("msp", "P6", None, "email", "Upgrade", "Please schedule the upgrade next week"),
    ]
    labelled, skipped = label_corrections(rows)
    assert skipped == 2
    assert [r.severity for r in labelled] in (["scheduled"], ["request"])


@pytest.mark.parametrize("name", ["restcomm-standard", "msp", "jelastic", "threepbx"])
def test_triage_tables_name_known_levels(policies: dict[str, Policy], name: str) -> None:
    policy = policies[name]
    assert policy.triage.rules, name
    assert policy.triage.check_levels([p.id for p in policy.priorities]) == []


def test_graded_scoring_counts_acceptable_levels_and_raises_to_top() -> None:
    from classifier.training.evaluate import PolicyReport, Scored, level_id

    levels = ("L1", "L2", "L3", "L4")
    assert [level_id(x, levels) for x in ("P1", "L2", "3", "P4", "P9")] == [
        "L1",
        "L2",
        "L3",
        "L4",
        "P9",
    ]
    scored = (
        Scored("L1", "L1", ("L1",), False),
        Scored("L2", "L1", ("L2", "L1"), False),  # top was defensible: not a wrong raise
        Scored("L3", "L1", ("L3",), True),  # raised to the top where a lead would not
        Scored("L4", "L3", ("L4", "L3"), False),
    )
    report = PolicyReport("jelastic", levels, scored, graded=True)
    assert report.accuracy == 0.25
    assert report.acceptable == 0.75
    assert report.raised_to_top == (1, 3)
    assert report.top_precision == 1 / 3
    assert report.needs_human == 1
    assert not report.meets_targets


def test_the_blind_set_is_the_frozen_copy() -> None:
    import hashlib

    from classifier.locations import BLIND_FILE

    digest = hashlib.sha256(BLIND_FILE.read_bytes()).hexdigest()
    assert digest.startswith("1daf25c3385696c1a1f1")  # never edited to fit (PROVENANCE)
    rows = read_rows(BLIND_FILE)
    assert len(rows) == 226 and all(row.acceptable for row in rows)


def test_blind_set_b_is_the_frozen_copy() -> None:
    import hashlib

    from classifier.locations import BLIND_B_FILE

    digest = hashlib.sha256(BLIND_B_FILE.read_bytes()).hexdigest()
    # Byte for byte the helper's file (heldout_blind_b_PROVENANCE.md): never edited to fit.
    assert digest == "d125b3d9e3234e7789e8fbad623cfb7a323388615025f418cced3a39b3720fa6"
    rows = read_rows(BLIND_B_FILE)
    assert len(rows) == 265 and all(row.acceptable for row in rows)


def test_blind_set_c_is_the_frozen_copy() -> None:
    import hashlib

    from classifier.locations import BLIND_C_FILE

    digest = hashlib.sha256(BLIND_C_FILE.read_bytes()).hexdigest()
    # Byte for byte the helper's file (heldout_blind_c_PROVENANCE.md): never edited to fit.
    assert digest == "8bb9523a43f4f9f875773d6ebb208681dac0612e0757a5a02a22e09445cd37bc"
    rows = read_rows(BLIND_C_FILE)
    assert len(rows) == 270 and all(row.acceptable for row in rows)


@pytest.mark.parametrize(
    ("name", "digest", "count"),
    [
        ("BLIND_D_FILE", "ed61d209cfa9445c6f729fbf50c798b7263cb8e877d55e883170bf351fc1e3f6", 300),
        ("BLIND_E_FILE", "16ec3c811218a545893797f4c7470952504d80feb26c9ee8109dec6ea1b4acca", 150),
        ("BLIND_F_FILE", "0944be6415f7d56eeebcac4d73ca7269e0ad737aed9c14410a94f22d59709b8a", 250),
        ("BLIND_G_FILE", "bcf8938f7ea0f3ac4f39166aff3a430574cdaea70d9ef91940a86fb581564590", 150),
    ],
)
def test_blind_sets_d_to_g_are_the_frozen_copies(name: str, digest: str, count: int) -> None:
    import hashlib

    from classifier import locations

    path = getattr(locations, name)
    # Byte for byte the helpers' files (heldout_blind_[d-g]_PROVENANCE.md): never edited to fit.
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    rows = read_rows(path)
    assert len(rows) == count and all(row.acceptable for row in rows)


def test_realistic_messages_name_their_public_source_and_are_not_evaluated() -> None:
    from classifier.locations import REALISTIC_FILE
    from classifier.training.dataset import read_rows

    realistic = read_rows(REALISTIC_FILE)
    assert len(realistic) >= 50
    for row in realistic:
        assert row.note and row.note.startswith("paraphrase: "), row.subject
        assert row.severity, row.subject
    kinds = {row.channel for row in realistic}
    assert {"email", "voice"} <= kinds
    assert sum("wrote:" in r.body or "Original Message" in r.body for r in realistic) >= 3
    data = REALISTIC_FILE.parent
    evaluation = {
        (r.subject, r.body)
        for name in (
            "heldout_blind.jsonl",
            "heldout_blind_b.jsonl",
            "heldout_blind_c.jsonl",
            "heldout_blind_d.jsonl",
            "heldout_blind_e.jsonl",
            "heldout.jsonl",
        )
        for r in read_rows(data / name)
    }
    assert not evaluation & {(r.subject, r.body) for r in realistic}

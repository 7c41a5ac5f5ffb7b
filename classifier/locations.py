"""Where the classifier's files live: the shipped model (package data) and, in a source
checkout, the labelled data sets that training and evaluation read (not in the wheel)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
MODEL_DIR = PACKAGE_DIR / "model"
DATA_DIR = PACKAGE_DIR / "data"
TRAIN_FILE = DATA_DIR / "train.jsonl"  # generated from phrase fragments
REALISTIC_FILE = DATA_DIR / "realistic.jsonl"  # hand-paraphrased public reports, threads, voicemail
HELDOUT_FILE = DATA_DIR / "heldout.jsonl"  # the project's own hand-written held-out set
STRESS_FILE = DATA_DIR / "stress.jsonl"
# Set A: the first blind set, scored during round 1's tuning; now the development set.
BLIND_FILE = DATA_DIR / "heldout_blind.jsonl"
# Set B: the held-out set. Frozen, written by someone who never saw ours; never read message by
# message, never tuned on, scored twice (before and after round 2) - see README.
BLIND_B_FILE = DATA_DIR / "heldout_blind_b.jsonl"
# Set C: the third blind set, written after round 3 by a helper who read only the seeds and
# public reports; scored exactly once, by the lead, after round 3 was merged - see README.
BLIND_C_FILE = DATA_DIR / "heldout_blind_c.jsonl"
# Sets D (300 short messages: SMS, voicemail, one-paragraph mail) and E (150 long mails:
# threads, Outlook quoting, forwards, signatures, disclaimers): written during round 4 by two
# helpers who read only the seeds and public reports, frozen before round 4 was merged, scored
# exactly once, by the lead, after it was - see README.
BLIND_D_FILE = DATA_DIR / "heldout_blind_d.jsonl"
BLIND_E_FILE = DATA_DIR / "heldout_blind_e.jsonl"
# Sets F (250: short and long mail, voicemail, SMS) and G (150, mostly long mail): written
# during round 5 by two helpers who read only the seeds and public reports, frozen before
# round 5 was merged, scored exactly once, by the lead, after it was - see README.
BLIND_F_FILE = DATA_DIR / "heldout_blind_f.jsonl"
BLIND_G_FILE = DATA_DIR / "heldout_blind_g.jsonl"
# The graded sets, all spent as evaluations: since round 6 they are training data too (each
# row's severity derived from the lead's level, `training/graded.py`), by the letter that
# names them in the README. Never edited (their sha256 are pinned by tests).
GRADED_FILES = (
    ("A", BLIND_FILE),
    ("B", BLIND_B_FILE),
    ("C", BLIND_C_FILE),
    ("D", BLIND_D_FILE),
    ("E", BLIND_E_FILE),
    ("F", BLIND_F_FILE),
    ("G", BLIND_G_FILE),
)

"""Training and evaluation of the triage model: the generator and its phrase data, the trainer,
the evaluation. Source checkout only: this package is excluded from the wheel, and nothing in
the runtime (`classifier.Triage`, the gateway) imports it.

    python -m classifier.training.generate   # rewrite the generated training rows
    intake classifier train                  # retrain classifier/model/ (deterministic)
    intake classifier evaluate [--data FILE] # score a labelled file per policy
"""

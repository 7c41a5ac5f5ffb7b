"""spaCy triage. (Being built: see docs/design.md.)"""

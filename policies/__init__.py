"""Support contracts as data files and the SLA clock. (Being built: see docs/design.md.)"""

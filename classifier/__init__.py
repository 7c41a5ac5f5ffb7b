"""spaCy triage: propose each message's priority under its contract, with reasons.

```python
from classifier import Triage, Proposal
triage = Triage.load()
proposal = triage.propose(policy, subject, body, declared=None)
```
See `docs/design.md` and `policies/triage.py` (the `[triage]` table a contract maps with).
"""

from classifier.decide import Declared, Proposal
from classifier.triage import Triage

__all__ = ["Declared", "Proposal", "Triage"]

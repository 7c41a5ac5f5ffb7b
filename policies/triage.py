"""Schema of a policy's `[triage]` table: how classifier signals map to this contract's levels.

Placeholder until the classifier work fills it in (owned together with `classifier/`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TriageRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

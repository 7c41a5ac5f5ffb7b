"""The one error a policy file can raise: it names the file, the field and the problem."""

from __future__ import annotations


class PolicyError(Exception):
    """A policy file that cannot be used, e.g. ``policies/x.toml: priority[2].respond: ...``.

    ``field`` is a dotted path into the file (``hours.mon``, ``priority[0].respond``); it is
    empty when the problem is the file as a whole (missing, not valid TOML). ``more`` holds any
    further problems found in the same file, so ``intake policies check`` can list them all.
    """

    def __init__(
        self, file: str, field: str, problem: str, more: tuple[PolicyError, ...] = ()
    ) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        self.more = more
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.problem}"

    def all(self) -> tuple[PolicyError, ...]:
        """This problem followed by every other one found in the file."""
        return (self, *self.more)

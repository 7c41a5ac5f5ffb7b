"""The SMTP listener: aiosmtpd on the gateway's own event loop, committing before `250`."""

from gateway.smtp.handler import IntakeHandler
from gateway.smtp.server import SmtpListener

__all__ = ["IntakeHandler", "SmtpListener"]

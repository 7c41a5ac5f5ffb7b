"""Every reply the listener gives that is ours rather than aiosmtpd's, with enhanced codes."""

from __future__ import annotations

RECIPIENT_OK = "250 2.1.5 Recipient ok"
SENDER_OK = "250 2.1.0 Sender ok"
QUEUED = "250 2.0.0 Ok: queued as {id}"
UNKNOWN_RECIPIENT = "550 5.1.1 <{address}>: recipient address rejected: not served here"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
MESSAGE_TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections from your address, try again later"
TOO_MANY_FROM_NETWORK = "421 4.7.0 Too many connections from your network, try again later"
SERVER_BUSY = "421 4.3.2 Too many connections, try again later"
# Said to the longest-idle session when a new client needs its slot.
MAKING_ROOM = "421 4.3.2 Closing idle session to serve other clients, try again later"
SESSION_BUDGET_SPENT = "421 4.4.2 Session idle too long without a message, closing"
IDLE_COMMANDS_SPENT = "421 4.7.0 Too many commands without a message, closing"
DATA_TOO_SLOW = "451 4.4.2 Message transfer too slow, closing"
RATE_LIMITED = "451 4.7.1 Too many messages from your address, try again later"
# The same client over its rate counted across every node of the desk (its other MX hosts).
RATE_LIMITED_DESK = "451 4.7.1 Too many messages from your address to this desk, try again later"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
INTERNAL_ERROR = "451 4.3.0 Temporary failure, please try again later"

# aiosmtpd's own replies that lack an enhanced status code, and what we say instead.
REWRITES = {
    "552 Error: Too much mail data": MESSAGE_TOO_BIG,
    "552 Error: message size exceeds fixed maximum message size": MESSAGE_TOO_BIG,
}

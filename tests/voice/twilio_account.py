"""The Twilio account the voice tests pretend to be (the fake REST server accepts it)."""

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"

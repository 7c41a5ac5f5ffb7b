"""Voice and on-call: Twilio webhooks, request signatures, the on-call schedule, SMS transports.

- `voice.phone`: E.164 normalisation.
- `voice.oncall` (+ `voice.oncall_config`): the `[oncall]` config and who is on call when.
- `voice.signature`: X-Twilio-Signature checks for aiohttp requests.
- `voice.twiml`, `voice.paths`: TwiML answers and the webhook URLs they point at.
- `voice.twilio_sms`, `voice.file_sms`: SMS transports for the outbox.
- `voice.cli`: `intake oncall`.
"""

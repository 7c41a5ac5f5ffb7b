"""Voice and on-call: Twilio webhooks, request signatures, the on-call schedule, paging, SMS.

- `voice.phone`: E.164 normalisation.
- `voice.oncall` (+ `voice.oncall_config`): the `[oncall]` config and who is on call when.
- `voice.settings`: the `[paging]` config (voicemail rule, per-recipient rate limits).
- `voice.signature`: X-Twilio-Signature checks for aiohttp requests.
- `voice.twiml`, `voice.paths`: TwiML answers and the webhook URLs they point at.
- `voice.webhooks`: the Twilio routes; `voice.batch`: cheap webhooks committed in batches.
- `voice.voicemail`: the phone flows (voicemails, customer texts) on the ticket service.
- `voice.paging` (+ `voice.ratelimit`, `voice.commands`): page chains, escalation, acks.
- `voice.delivery`: SMS delivery statuses, resends, escalation on permanent failure.
- `voice.worker`: the voice worker and the escalation worker.
- `voice.desks`: desks by phone number, policies by name.
- `voice.service`: builds all of the above for `gateway.app.Gateway`.
- `voice.twilio_sms`, `voice.file_sms`: SMS transports for the outbox.
- `voice.cli`: `intake oncall`.
"""

"""Voice and on-call: Twilio webhooks, request signatures, the on-call schedule, paging, SMS.

- `voice.oncall`: who is on call when (its `[oncall]` config is `gateway.config.oncall`).
- `voice.signature`: X-Twilio-Signature checks for aiohttp requests.
- `voice.twiml`, `voice.paths`: TwiML answers and the webhook URLs they point at.
- `voice.webhooks`: the Twilio routes, each committed through the store's group commit.
- `voice.voicemail`: the phone flows (voicemails, customer texts) on the ticket service.
- `voice.paging` (+ `voice.ratelimit`, `voice.commands`): page chains, escalation, acks.
- `voice.delivery`: SMS delivery statuses, resends, escalation on permanent failure.
- `voice.worker`: the voice worker and the escalation worker.
- `voice.desks`: desks by phone number, policies by name.
- `voice.service`: builds all of the above for `gateway.app.Gateway`.

Settings (`[twilio]`, `[oncall]`, `[paging]`) live in `gateway.config`, phone-number helpers in
`gateway.phone` and the SMS transports in `gateway.transports`: voice is a channel, so it
imports the core and nothing but the application assembly and the CLI imports it.
"""

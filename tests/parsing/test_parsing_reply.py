"""The latest reply, without quoted history and signatures."""

from __future__ import annotations

import pytest

from gateway.parsing import parse_message
from gateway.parsing.reply import latest_reply

from .parsing_mail import mail, multipart, part

GMAIL = """\
Thanks, restarting fixed it.

On Mon, Mar 4, 2024 at 10:00 AM Intake Support <
support@desk.example> wrote:

> Please restart the service.
>
> On Sun, Mar 3, 2024 at 9:00 PM Jane <jane@example.com> wrote:
>> It is down.
"""

APPLE = """\
Still broken after the update.

Sent from my iPhone

> On 4 Mar 2024, at 10:00, Support <support@desk.example> wrote:
>
> Please update.
"""

OUTLOOK = """\
Hi team,

The error is back, screenshot attached.

Best regards,
Jane

________________________________
From: Support <support@desk.example>
Sent: Monday, March 4, 2024 10:00 AM
To: Jane Customer <jane@example.com>
Subject: RE: [#12] VPN down

We have restarted the VPN gateway.
"""

OUTLOOK_DESKTOP = """\
Confirmed, works now.

-----Original Message-----
From: Support [mailto:support@desk.example]
Sent: Monday, March 4, 2024 10:00 AM
To: Jane
Subject: VPN

Try again?
"""

OUTLOOK_BOLD = """\
Yes please go ahead.

*From:* Support <support@desk.example>
*Sent:* Monday, March 4, 2024 10:00
*To:* Jane <jane@example.com>
*Subject:* Maintenance window

Can we reboot tonight?
"""

GERMAN = """\
Hallo,
das Problem besteht weiterhin.

Am 04.03.2024 um 10:00 schrieb Support <support@desk.example>:
> Bitte starten Sie neu.
"""

GERMAN_OUTLOOK = """\
Danke!

Von: Support <support@desk.example>
Gesendet: Montag, 4. März 2024 10:00
An: Jane
Betreff: Drucker

Alt.
"""

FRENCH = """\
Bonjour,
toujours en panne.

Le lun. 4 mars 2024 à 10:00, Support <support@desk.example> a écrit :
> Redémarrez.
"""

SPANISH = """\
Sigue sin funcionar.

El lun, 4 mar 2024 a las 10:00, Soporte (<support@desk.example>) escribió:
> Reinicie.
"""

DUTCH = """\
Het werkt weer.

Op ma 4 mrt. 2024 om 10:00 schreef Support <support@desk.example>:
> Herstart.
"""

JAPANESE = """\
まだ直りません。

2024年3月4日(月) 10:00 Support <support@desk.example>:
> 再起動してください。
"""

CHINESE = """\
还是不行。

Support <support@desk.example> 于2024年3月4日周一 10:00写道：
> 请重启。
"""

SIGNATURE = """\
The backup job failed again at 02:00.

--\x20
Jane Customer
ACME Corp | +1 555 0100
"""

OUTLOOK_MOBILE = """\
Approved.

Get Outlook for iOS
________________________________
From: Support <support@desk.example>
Sent: Monday, March 4, 2024 10:00:00 AM
To: Jane <jane@example.com>
Subject: Approval needed
"""

INLINE = """\
On Mon, Mar 4, 2024 at 10:00 AM Support <support@desk.example> wrote:
> Which version are you running?
4.2.1

> Did you restart?
Yes, twice.

--\x20
Jane
"""

THANKS = """\
That worked, thanks a lot.

Thanks,
Jane

> earlier message
"""


@pytest.mark.parametrize(
    ("body", "latest"),
    [
        (GMAIL, "Thanks, restarting fixed it."),
        (APPLE, "Still broken after the update."),
        (OUTLOOK, "Hi team,\n\nThe error is back, screenshot attached.\n\nBest regards,\nJane"),
        (OUTLOOK_DESKTOP, "Confirmed, works now."),
        (OUTLOOK_BOLD, "Yes please go ahead."),
        (GERMAN, "Hallo,\ndas Problem besteht weiterhin."),
        (GERMAN_OUTLOOK, "Danke!"),
        (FRENCH, "Bonjour,\ntoujours en panne."),
        (SPANISH, "Sigue sin funcionar."),
        (DUTCH, "Het werkt weer."),
        (JAPANESE, "まだ直りません。"),
        (CHINESE, "还是不行。"),
        (SIGNATURE, "The backup job failed again at 02:00."),
        (OUTLOOK_MOBILE, "Approved."),
        (INLINE, "4.2.1\n\nYes, twice."),
        (THANKS, "That worked, thanks a lot.\n\nThanks,\nJane"),
    ],
    ids=[
        "gmail", "apple", "outlook", "outlook-desktop", "outlook-bold", "german", "german-outlook",
        "french", "spanish", "dutch", "japanese", "chinese", "signature", "outlook-mobile",
        "inline", "thanks",
    ],
)  # fmt: skip
def test_latest_reply(body: str, latest: str) -> None:
    assert latest_reply(body) == latest


def test_plain_message_is_its_own_latest_reply() -> None:
    body = "The printer on floor 3 is jammed.\nCan someone come by?"
    assert latest_reply(body) == body


def test_only_quotes_falls_back_to_the_whole_text() -> None:
    assert latest_reply("> all of it\n> is quoted\n") == "> all of it\n> is quoted"


def test_forwarded_message_is_kept() -> None:
    body = "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Monitor\nDisk full"
    assert latest_reply(body) == body


def test_a_colon_line_that_is_not_an_attribution_stays() -> None:
    body = "Here is the log:\nERROR disk full\nOn Monday it was fine."
    assert latest_reply(body) == body


def test_full_text_is_kept_and_latest_is_separate() -> None:
    parsed = parse_message(mail(GMAIL))
    assert parsed.body_text == GMAIL.strip("\n")
    assert parsed.latest_text == "Thanks, restarting fixed it."


def test_gmail_html_reply() -> None:
    html = (
        '<div dir="ltr">Works now, thanks!</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, Mar 4, 2024 at 10:00 AM Support &lt;'
        'support@desk.example&gt; wrote:<br></div><blockquote class="gmail_quote">'
        "Please restart.</blockquote></div>"
    )
    parsed = parse_message(mail(html, content_type="text/html; charset=utf-8"))
    assert parsed.latest_text == "Works now, thanks!"


def test_outlook_html_reply() -> None:
    html = (
        "<div>Still failing.</div><div>Jane</div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg">'
        "<b>From:</b> Support &lt;support@desk.example&gt;<br><b>Sent:</b> Monday, March 4, "
        "2024 10:00 AM<br><b>To:</b> Jane<br><b>Subject:</b> RE: VPN</div><div>old text</div>"
    )
    parsed = parse_message(multipart("alternative", part("text/html; charset=utf-8", html)))
    assert parsed.latest_text == "Still failing.\nJane"


def test_the_writers_note_after_a_dash_line_is_not_a_signature() -> None:
    # A forwarded alert, then the writer's own words after a "--" line: the news is the note.
    alert = "Trigger: Memory usage > 90% on node-2\nSeverity: High\nStatus: PROBLEM\n\n--\n"
    for note in (
        "No user impact yet, anything we should tune?",
        "Forwarded from our monitoring: all 25 phones lost registration ten minutes ago.",
    ):
        assert latest_reply(alert + note) == (alert + note).strip()


def test_a_signature_after_a_dash_line_still_goes() -> None:
    for signature in (
        "Oskar Lind | Head of Voice Ops | Baltic Comms",
        "Sent from my work laptop. Please consider the environment before printing this email.",
        "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige Adressat "
        "sind, informieren Sie bitte sofort den Absender.",
    ):
        assert latest_reply(f"The trunk is down again.\n\n--\n{signature}") == (
            "The trunk is down again."
        )

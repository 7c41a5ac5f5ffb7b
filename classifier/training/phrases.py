"""Phrase data for the training-set generator (`classifier.training.generate`): pure data.

Hand-written fragments per product (a telecom platform for the Restcomm contracts, a managed IT
desk for the MSP, a PaaS for Jelastic, a hosted PBX for ThreePBX): symptoms per severity, who is
affected, which environment, tone, openings and sign-offs, voicemail openers and fillers.
`{thing}`, `{people}`, `{person}`, `{subset}`, `{name}`, `{company}`, `{phone}` and the
`FILLERS` keys are filled in by the composer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

POLICY_DOMAIN = {
    "restcomm-standard": "telecom",
    "restcomm-premium": "telecom",
    "msp": "it",
    "jelastic": "paas",
    "threepbx": "pbx",
}


@dataclass(frozen=True)
class Domain:
    things: Sequence[str]
    outage: Sequence[str]
    degraded: Sequence[str]
    minor: Sequence[str]
    trivial: Sequence[str]
    question: Sequence[str]
    request: Sequence[str]
    scheduled: Sequence[str]
    people: Sequence[str]  # plural nouns for who is affected
    person: Sequence[str]  # one affected person or device
    subsets: Sequence[str]  # a subset that is affected
    extra: dict[str, Sequence[str]] = field(default_factory=dict)  # topic scenarios


TELECOM = Domain(
    things=[
        "the Restcomm Connect server",
        "our SIP servlets container",
        "the media server",
        "the SMSC gateway",
        "the USSD gateway",
        "the SIP load balancer",
        "the Diameter stack",
        "the RVD engine",
        "the REST API",
        "the WebRTC gateway",
        "the JAIN SLEE container",
        "the conferencing service",
        "the SIP proxy",
        "the registrar",
        "our outbound dialer",
        "the MSS cluster",
        "the SMPP connector",
        "the call control API",
        "our IVR",
    ],
    outage=[
        "{thing} went down at {clock} and every call attempt now fails with {code}",
        "{thing} is not coming back up after a restart, the log ends with {fatal}",
        "we have zero calls completing, {thing} answers every INVITE with {code}",
        "{thing} crashed and keeps crashing a few seconds after each restart",
        "all traffic has stopped, {thing} refuses every connection",
        "{thing} is completely unreachable and no messages are being delivered",
        "the service is dead: callers get silence and the session ends straight away",
        "we cannot place or receive calls through {thing} since {clock}",
        "{thing} throws {fatal} on startup and nothing gets processed",
        "every SMS submitted since {clock} is rejected, none reach handsets",
        "our whole voice service is offline, {thing} is not listening on port 5060",
        "total outage of {thing}, requests just hang and then fail",
        "the cluster lost quorum and {thing} stopped serving traffic entirely",
        "after the upgrade {thing} fails to start and the platform is unusable",
        "call processing has stopped completely, the queue is full and nothing drains",
        "we cannot complete any calls at all, {thing} returns {code} to everything",
        "the database behind {thing} is corrupted and it will not start",
        "registration fails with {code}, devices cannot register",
    ],
    degraded=[
        "roughly {pct} of calls through {thing} fail with {code}, the rest connect",
        "calls drop after {n} seconds now and then, mostly during peak hours",
        "{thing} has become slow: call setup takes {n} seconds instead of one",
        "we see one-way audio on a share of calls handled by {thing}",
        "{thing} restarts by itself every few hours and we lose calls in flight",
        "audio on many calls is choppy and robotic since the last patch",
        "delivery receipts from {thing} arrive {n} minutes late",
        "call recordings are missing for part of the calls, calls themselves are fine",
        "{thing} leaks memory and needs a restart every day to stay up",
        "intermittent {code} responses from {thing}, retrying sometimes helps",
        "the admin console is unusable but calls still flow through {thing}",
        "transcriptions come back empty, the rest of {thing} works",
        "DTMF is detected only half the time so callers get stuck in the IVR menu",
        "conference bridges above {n} participants fail, small ones are fine",
        "the failover node no longer takes over, so we run without redundancy",
        "latency between {thing} and the media server is high and calls sound delayed",
    ],
    minor=[
        "the CDR export has a wrong column header, the data is correct",
        "{thing} logs a warning about a deprecated setting on every start",
        "a status callback is sent twice for a few calls, we filter the duplicates",
        "the API returns the date in a different format than the docs say",
        "one field in the usage report is always empty, we compute it ourselves",
        "the RVD editor sometimes needs a page reload before saving works",
        "an error message in the console refers to the wrong parameter name",
        "the call detail page shows seconds where it should show minutes",
        "sorting by date in the logs view is reversed, easy to live with",
        "a small bug: the SMS length counter is off by one for unicode messages",
    ],
    trivial=[
        "there is a spelling mistake on the login page of the console",
        "the favicon of the admin UI is the old logo",
        "the footer still says 2019",
        "button labels in the console are misaligned on small screens",
        "the colour of the status badge is hard to read, purely cosmetic",
    ],
    question=[
        "how do I {task}",
        "is it possible to {task}",
        "what is the recommended way to {task}",
        "where can I find documentation about {topic}",
        "could you explain how {topic} works",
        "does Restcomm support {topic}",
        "which setting controls {topic}",
        "what are the best practices for {topic}",
        "is there a limit on {topic}",
        "can we {task} without restarting the server",
    ],
    request=[
        "we would like to request a feature: {feature}",
        "please add {feature} to the roadmap",
        "it would be great to have {feature}",
        "could you send us a license file for two more nodes",
        "we need a quote for additional concurrent session licences",
        "please enable {feature} on our subscription",
        "enhancement request: {feature}",
    ],
    scheduled=[
        "we want to schedule the upgrade of our cluster for {when}",
        "please book an engineer for our maintenance window {when}",
        "can we plan the migration to the new version {when}",
        "we are moving to a new data centre {when} and would like support on standby",
        "could we arrange a health check of our deployment {when}",
    ],
    people=["subscribers", "customers", "end users", "callers", "agents", "users"],
    person=["one subscriber", "a single customer", "one of our agents", "one test number"],
    subsets=[
        "calls to one carrier",
        "a few of our numbers",
        "some of our subscribers",
        "one of our SIP trunks",
        "international calls",
        "about a third of the agents",
    ],
)

IT = Domain(
    things=[
        "email",
        "the internet connection",
        "the VPN",
        "the file server",
        "our ERP",
        "the CRM",
        "Microsoft 365",
        "the Exchange server",
        "Outlook",
        "the Wi-Fi",
        "the network",
        "the domain controller",
        "remote desktop",
        "the print server",
        "the firewall",
        "SharePoint",
        "the accounting system",
        "the terminal server",
        "the phone system",
        "Teams",
        "the line-of-business app",
        "our hosted website",
        "the citrix farm",
        "the backup server",
        "the NAS",
    ],
    outage=[
        "{thing} is down and we cannot work",
        "{thing} stopped working completely at {clock}",
        "we cannot get into {thing} at all, it just times out",
        "{thing} is offline and there is no way to reach it",
        "{thing} crashed and will not restart",
        "there is no internet and no email, the router lights are red",
        "every login to {thing} fails with an error",
        "{thing} is unavailable, it shows a 503 page",
        "the server room lost power and {thing} is dead",
        "{thing} is completely inaccessible since this morning",
        "we have lost all connectivity, nothing loads",
        "nothing works: {thing}, printing and file shares are all unreachable",
        "{thing} went down and took the shared drives with it",
        "the switch failed and the office has no network",
    ],
    degraded=[
        "{thing} is painfully slow, pages take a minute to load",
        "{thing} keeps dropping every half hour",
        "{thing} disconnects randomly during the day",
        "emails arrive with a delay of up to an hour",
        "{thing} freezes several times a day and has to be restarted",
        "video calls are choppy and keep freezing",
        "{thing} is very unstable today, it comes and goes",
        "file transfers are crawling, it is slowing everyone down",
        "printing is intermittent, half the jobs never come out",
        "{thing} is sluggish and people are losing time",
        "the Wi-Fi keeps cutting out in the meeting rooms",
        "{thing} works but is timing out every few minutes",
    ],
    minor=[
        "a shortcut to {thing} is missing from the start menu",
        "{thing} shows a warning at start-up but works fine afterwards",
        "the out-of-office reply has the wrong dates",
        "one shared calendar shows meetings an hour off",
        "the scanner saves files with odd names, we rename them",
        "a printer shows as offline although it prints",
        "{thing} asks for the password twice after a reboot",
        "the spam filter lets a few more messages through than before",
        "an old network drive mapping comes back after restarts",
        "the signature block has an outdated phone number",
        "a browser bookmark to {thing} points to the old address",
    ],
    trivial=[
        "the desktop wallpaper is the old branding",
        "the clock on the lobby screen is two minutes off",
        "a typo in the welcome email template",
        "the intranet banner has the wrong colour",
        "the login screen shows last year's logo",
        "an icon on the shared drive is the wrong one, purely cosmetic",
    ],
    question=[
        "how do I {task}",
        "how can we {task}",
        "is there a way to {task}",
        "what is our policy on {topic}",
        "where do I find the guide for {topic}",
        "could you tell me how {topic} works",
        "what do we need to {task}",
        "is it possible to {task} from home",
    ],
    request=[
        "please create a shared mailbox for {feature}",
        "could you add {feature}",
        "we would like {feature}",
        "please set up a new user account and laptop for our new hire",
        "can you order two more monitors for the design team",
        "request to increase the mailbox size for the directors",
        "we would like a quote for upgrading the firewall",
        "please give the new accountant access to the finance share",
        "feature request: {feature}",
        "please disable the account of a leaver and forward the email to the manager",
    ],
    scheduled=[
        "please schedule the server patching for {when}",
        "we'd like to book the firewall replacement for {when}",
        "can you plan the office move {when}",
        "please arrange the laptop refresh for {when}",
        "we need the new starter set up {when}",
        "book in the Windows upgrade for the accounts team {when}",
    ],
    people=["users", "staff", "employees", "people", "colleagues", "team members"],
    person=["our receptionist", "one user", "a single laptop", "my PC", "the CFO's laptop"],
    subsets=[
        "the accounts team",
        "the warehouse",
        "one branch office",
        "the second floor",
        "a few people in sales",
        "remote staff in one region",
    ],
)

PAAS = Domain(
    things=[
        "the platform",
        "the dashboard",
        "the shared load balancer",
        "our Tomcat nodes",
        "the MySQL cluster",
        "the PostgreSQL node",
        "the Node.js environment",
        "the Kubernetes cluster",
        "the SSH gate",
        "the JCA panel",
        "the platform API",
        "the resolver",
        "the hardware nodes",
        "the Docker containers",
        "the NGINX balancer",
        "the GlassFish cluster",
        "the Redis node",
        "the PHP environment",
        "the storage node",
    ],
    outage=[
        "{thing} is down and all hosted applications return 502",
        "{thing} stopped responding at {clock}, every environment is unreachable",
        "no environment will start, each attempt ends with an internal error",
        "{thing} crashed and the containers on it are gone",
        "our production applications are offline since {clock}",
        "the platform is unusable: nothing deploys, nothing loads",
        "{thing} lost its data volume and the sites depending on it are down",
        "all requests to {thing} time out and customers see an error page",
        "{thing} will not boot after the host reboot",
        "the whole cluster went dark after the network change",
        "critical: {thing} is dead and our shop cannot take orders",
        "every site on the platform is returning errors",
    ],
    degraded=[
        "{thing} restarts every few hours and sites blip for a minute",
        "response times from {thing} went from 200 ms to several seconds",
        "{thing} works but is unstable, it drops connections under load",
        "auto-scaling does not add nodes any more, so the apps crawl at peak",
        "deployments through the dashboard fail, running apps keep working",
        "backups of {thing} have failed for several nights",
        "some requests to {thing} time out, about {pct}",
        "the SSH gate refuses connections, the apps themselves run",
        "marketplace installs fail, existing environments are fine",
        "{thing} is severely restricted, we can only run half the workers",
        "periodic interruptions of {thing} throughout the day",
    ],
    minor=[
        "the log viewer shows nothing, we read logs over SSH instead",
        "statistics graphs are empty for {thing}",
        "the clone of an environment gets the wrong name",
        "the Let's Encrypt add-on did not renew, we renewed manually",
        "email notifications about environment events do not arrive",
        "the file manager refuses uploads above a size limit, SFTP works",
        "a scheduled redeploy failed once and worked when run again",
        "the billing history page shows one month twice",
        "custom domain binding errors out in the UI, the API works",
        "the dashboard search does not find environments by tag",
    ],
    trivial=[
        "the docs page on environment variables has an old screenshot",
        "a tooltip in the dashboard has a typo",
        "the dark theme makes one icon invisible, cosmetic",
        "the topology wizard shows an outdated logo",
        "the welcome email to new users has a broken layout",
    ],
    question=[
        "how do I {task}",
        "is it possible to {task}",
        "what is the best practice for {topic}",
        "where is the documentation on {topic}",
        "how is {topic} billed",
        "can the API be used to {task}",
        "does the platform support {topic}",
        "what's the recommended way to {task}",
    ],
    request=[
        "please add {feature} to the platform",
        "feature request: {feature}",
        "it would be nice to have {feature}",
        "we would like {feature} enabled for our installation",
        "could you provide a new stack with {feature}",
        "enhancement request: {feature}",
    ],
    scheduled=[
        "we would like to schedule the platform upgrade {when}",
        "please plan the migration of our hardware nodes {when}",
        "can we book your team for the cluster expansion {when}",
        "we want to arrange the certificate rotation {when}",
    ],
    people=["end users", "customers", "resellers", "hosted clients", "users"],
    person=["one environment", "a single customer", "one node", "one container"],
    subsets=[
        "a few environments",
        "one region",
        "some of the customer sites",
        "the environments on one hardware node",
        "several resellers",
    ],
    extra={
        "dotnet": [
            "our .NET application on the IIS node is completely down",
            "the MS SQL Server node is unreachable and the app depending on it fails",
            "the ASP.NET site returns errors on every request",
            "the SQL Server container crashed and will not start",
        ],
    },
)

PBX = Domain(
    things=[
        "the phones",
        "our desk phones",
        "the main number",
        "the PBX",
        "the softphones",
        "inbound calls",
        "outbound calls",
        "our SIP trunk",
        "the Yealink handsets",
        "the Polycom phones",
        "the hosted PBX",
        "the DIDs",
        "the lines",
    ],
    outage=[
        "{thing} have no dial tone",
        "{thing} are not registering, the screens say no service",
        "we are unable to make or receive any calls",
        "{thing} are completely dead since {clock}",
        "callers get a fast busy on the main number",
        "every phone shows registration failed",
        "no calls can go in or out",
        "the PBX is down and the handsets keep rebooting",
        "dialling out gives silence and then the call drops straight away",
        "the main number says it is not in service",
        "nothing rings and we cannot dial anywhere",
        "all handsets lost registration after the power cut",
    ],
    degraded=[
        "calls drop after about a minute",
        "we hear the caller but they cannot hear us on many calls",
        "audio is choppy and breaking up",
        "calls to {area} do not go through, other calls work",
        "calls fail intermittently, redialling usually connects",
        "there is an echo and jitter on most calls today",
        "some inbound calls ring once and then disconnect",
        "outbound caller ID is missing on a lot of calls",
        "calls are cutting out every few minutes",
        "call quality is poor and robotic since this morning",
    ],
    minor=[
        "voicemail on {ext} does not pick up, the call just rings out",
        "transfers to {ext} drop the caller",
        "call forwarding to a mobile stopped working",
        "the voicemail to email notifications no longer arrive",
        "the hold music does not play, callers hear silence while on hold",
        "the night mode does not switch back in the morning",
        "since Monday the ring group skips {ext}",
        "the BLF light for {ext} stays red",
        "the voicemail greeting plays the old message",
        "the call log on the handsets is empty",
    ],
    trivial=[
        "the display name on one handset is misspelled",
        "the clock on the phones is a few minutes off",
        "the logo on the phone screens is the old one",
        "the ringtone on the lobby phone is too quiet, no rush",
    ],
    question=[
        "how do I {task}",
        "how can we {task}",
        "is it possible to {task}",
        "does our plan include {topic}",
        "where can I find the guide for {topic}",
        "what is the best way to {task}",
    ],
    request=[
        "please set up a new auto attendant with {feature}",
        "we need a new ring group for {feature}",
        "could you configure a new handset for {ext}",
        "please change the caller ID name to our new company name",
        "we need a custom dial plan for {feature}",
        "please add an extension for our new hire",
        "we'd like a quote for custom programming for {feature}",
        "please create a time condition for {feature}",
    ],
    scheduled=[
        "we want to schedule our new install for {when}",
        "please book the number port {when}",
        "can we arrange the phone swap at the new office {when}",
        "please schedule the firmware update on the handsets {when}",
    ],
    people=["phones", "extensions", "users", "staff", "handsets", "lines"],
    person=["my phone", "one extension", "the reception phone", "one handset", "my desk phone"],
    subsets=[
        "the phones at our second office",
        "calls to some area codes",
        "a few extensions",
        "the warehouse phones",
        "calls from one carrier",
        "toll-free calls",
    ],
    extra={
        "account": [
            "I can't log into the portal, it says my password has expired",
            "please reset my password for the user portal, I'm locked out",
            "my account on the dashboard is disabled and I cannot access it",
            "the two-factor code for our account never arrives so I cannot sign in",
            "I need access to our account, the login rejects my credentials",
        ],
        "portal": [
            "the web portal will not load, so we cannot change routing",
            "the admin portal shows an error on every page",
            "the web interface is down and we cannot update the greetings",
            "the portal times out when we try to edit call routing",
        ],
        "resolved": [
            "the dropped calls from this morning are resolved now, "
            "please keep the ticket open to monitor",
            "audio is back to normal, leave the ticket open a day so we can keep an eye on it",
            "calls work again after the reboot, please keep this open for monitoring",
        ],
    },
)

DOMAINS = {"telecom": TELECOM, "it": IT, "paas": PAAS, "pbx": PBX}

FILLERS = {
    "clock": ["7:15", "02:40", "9am", "noon", "half past three", "10:05 UTC", "6 this morning"],
    "code": ["503", "500 Server Internal Error", "408 Request Timeout", "486 Busy", "480", "403"],
    "fatal": [
        "java.lang.OutOfMemoryError",
        "a FATAL exception",
        "Segfault in libmedia",
        "ERROR: cannot bind socket",
        "NullPointerException",
        "a stack trace",
    ],
    "pct": ["10%", "a quarter", "about 30 percent", "one in five", "15%", "a third"],
    "n": ["20", "45", "5", "10", "30", "90"],
    "ext": ["extension 112", "ext 305", "the sales line", "extension 220", "Dr Lee's line"],
    "area": ["area code 415", "Mexico", "one mobile network", "toll free numbers", "the UK"],
    "when": [
        "next Tuesday evening",
        "on the 18th",
        "during the weekend of March 9",
        "next month",
        "sometime next week",
        "after the quarter closes",
        "on Saturday night",
        "in two weeks",
        "at a later date that suits you",
    ],
    "task": [
        "change the timeout on an outbound call",
        "add a second SIP trunk",
        "rotate the logs",
        "export call records",
        "set up a new mailbox",
        "move a user to another group",
        "reset a voicemail PIN",
        "forward calls to a mobile",
        "configure scaling triggers",
        "clone an environment",
        "enable MFA",
        "record calls",
        "map a network drive",
        "set up an out-of-office reply",
        "add a custom domain",
        "pick up a call remotely",
    ],
    "topic": [
        "session licensing",
        "the REST API rate limits",
        "call recording retention",
        "cloudlet billing",
        "backup retention",
        "our password policy",
        "TLS settings",
        "the call queue",
        "the VPN client",
        "vertical scaling",
        "codec selection",
    ],
    "feature": [
        "webhook retries",
        "JSON export of call records",
        "a dark mode",
        "Python 3.12 stacks",
        "an audit log",
        "SSO login",
        "per-user statistics",
        "press 1 for sales, 2 for support",
        "the support team",
        "holiday hours",
        "a shared calendar",
        "bulk number import",
    ],
}

NAMES = [
    "Alex", "Sam", "Priya", "Jordan", "Maria", "Chen", "Fatima", "Olga", "Tom", "Rachel",
    "Kwame", "Lucia", "Daniel", "Ines", "Yuki", "Sean", "Hana", "Marco", "Beth", "Raj",
]  # fmt: skip
COMPANIES = [
    "Acme Telecom", "Brightline", "Northfield Dental", "Cobalt Hosting", "Riverside Clinic",
    "Vega Logistics", "Orbit Media", "Kestrel Law", "Summit Cloud", "Maple Realty",
]  # fmt: skip

GREETINGS = [
    "Hi,", "Hello team,", "Good morning,", "Dear support,", "Hi there,", "Hello,", "",
    "Hey,", "Good afternoon,", "Support team,",
]  # fmt: skip
SIGNOFFS = [
    "Thanks,\n{name}", "Regards,\n{name}\n{company}", "Cheers, {name}", "Best,\n{name}",
    "Thank you.", "-- {name}, {company}", "Kind regards\n{name}", "",
]  # fmt: skip
URGENT_OPENERS = [
    "URGENT!", "This is urgent.", "Please treat this as critical.", "HIGH PRIORITY:",
    "Need help ASAP.", "Emergency!", "Urgent please.", "!!!",
]  # fmt: skip
CALM_OPENERS = [
    "No big rush on this, but", "Just letting you know,", "Not sure if you're aware, but",
    "Hope you're well.", "Whenever someone has a moment:", "Small heads-up:",
    "Sorry to bother you,",
]  # fmt: skip
TIMELINES = [
    "It started around {clock}.", "This began after last night's update.",
    "We noticed it this morning.", "It has been like this since yesterday.",
    "Nothing was changed on our side.", "We restarted everything already.",
    "Logs are attached.", "We tried rebooting, same result.", "",
]  # fmt: skip
BREADTH = {
    "all": [
        "It affects all of our {people}.",
        "Every one of our {people} is hit.",
        "This is company-wide.",
        "Everyone is affected.",
        "None of our {people} can work.",
        "It's across all our sites.",
        "The whole organisation is affected.",
        "All {people} are impacted.",
    ],
    "some": [
        "Only {subset} are affected.",
        "It is limited to {subset}.",
        "It affects {subset}, everyone else is fine.",
        "Just {subset}, the rest work.",
    ],
    "one": [
        "Only {person} is affected.",
        "It's just {person}.",
        "This is {person} only.",
    ],
}
SCOPE = {
    "nonproduction": [
        "This is on our staging environment.",
        "It happens in our test lab only.",
        "This is the development server, production is fine.",
        "Our QA environment is affected.",
        "We see it on the sandbox we use for evaluation.",
        "It's our pre-production system.",
        "Only our dev environment, not production.",
        "This is a test instance, not live yet.",
    ],
    "production": [
        "This is our production system.",
        "It's the live environment.",
        "Production traffic is affected.",
        "This is in prod.",
    ],
}
WORKAROUND = [
    "As a workaround we switched to the backup for now.", "We found a workaround for the moment.",
    "We are working around it manually.", "For now we forwarded everything to mobiles.",
]  # fmt: skip
NO_WORKAROUND = [
    "There is no workaround.", "We have no workaround.", "No workaround available.",
]  # fmt: skip
VOICE_OPENERS = [
    "hi this is {name} from {company}", "hello it's {name} at {company}", "yeah hi um {name} here",
    "hi good morning this is {name}", "hey it's {name} from {company} calling",
]  # fmt: skip
VOICE_CLOSERS = [
    "please call me back on {phone}", "my number is {phone} thanks", "call me back asap",
    "thanks bye", "you can reach me on {phone}", "ok thank you",
]  # fmt: skip
FILL_WORDS = ["um", "uh", "so", "like", "yeah", "you know"]

SUBJECTS = {
    "outage": ["{Thing} down", "Outage", "Nothing works", "No service", "Total outage",
               "Everything is down", "Critical outage", "{Thing} offline", "Service down"],
    "degraded": ["{Thing} unstable", "Intermittent problems", "Slow {thing}", "Dropped calls",
                 "Performance problem", "Quality issues", "{Thing} keeps dropping"],
    "minor": ["Small issue with {thing}", "Minor bug", "Glitch", "{Thing} issue", "Odd behaviour"],
    "trivial": ["Cosmetic issue", "Typo", "Low priority", "Minor cosmetic thing", "FYI"],
    "question": ["Question", "How to?", "Quick question", "Question about {thing}", "Docs?"],
    "request": ["Request", "Feature request", "New request", "Change request", "Please add"],
    "unclear": ["", "Re:", "Hello", "Call back", "Fwd: message", "(no subject)", "Hi", "Re: Re:"],
    "scheduled": ["Scheduling", "Planned work", "Maintenance window", "Upgrade planning",
                  "Booking request"],
}  # fmt: skip
UNCLEAR = [
    "please call me when you can", "see attached", "following up on my earlier message",
    "thanks for your help yesterday", "test", "I am out of the office until Monday",
    "can someone contact me", "it's me again about the thing we discussed",
    "forwarding this to you", "bonjour merci de me rappeler", "hola necesito hablar con alguien",
    "ok", "got it thanks", "please see below", "sent from my phone",
    "who should I talk to", "hello", "please confirm you received this", "returning your call",
    "sorry wrong number", "can you hear me", "I will send the details later",
    "here is the information you asked for", "guten Tag bitte rufen Sie mich an",
]  # fmt: skip
MISLEADING_SUBJECTS = {
    "outage": ["Quick question", "Small thing", "Question about {thing}", "FYI"],
    "question": ["URGENT", "URGENT question", "Critical!!", "EMERGENCY - please read"],
    "trivial": ["URGENT", "Important"],
    "request": ["URGENT request", "Critical"],
}


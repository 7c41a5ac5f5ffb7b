"""What the rule matchers look for: support-desk vocabulary for each signal.

Pure data. Phrases are matched on spaCy's NORM (lower case, "can't" = "can not"); a phrase with a
hyphen also matches its spaced and joined forms. Token patterns use spaCy `Matcher` syntax. Which
signal names exist, and what contracts do with them, is defined in `policies/triage.py`; this
file only says which words count as evidence for each. The same phrase may serve two signals
(`no one` is both an outage and a breadth word). Within one group, overlapping matches keep the
longest (`not all users` beats `all users`).
"""

from __future__ import annotations

from typing import Any

Pattern = list[dict[str, Any]]

# Raw evidence the tagger settles and never reports as such. Breadth, settled into `all` /
# `some` / `one`: `isolated` ("the others are fine", "outbound calls work"), `majority` ("70%
# of our customers", "nearly all"), `minority` ("20% of calls"), `alternative` (another way in
# works: "manual scaling works", "deploy via URL instead": some, and a workaround). Scope:
# `production_ok` ("production is untouched": the trouble is elsewhere, non-production).
# `core`: the part that fails is the customer's main use of the service ("SMS is our main
# product"), so what else works does not make it partial. `device`: a device noun ("our fax
# line"), `one` after a determiner, dropped after "every" or alone.
# `others_fine`: other customers of the provider are fine ("a colleague at another of your
# clients says they're fine"): the trouble is not widespread, whatever else the text shouts.
# `temporary`: a recovery said to hold only for now ("traffic is flowing again for the
# moment"): not a recovery (`narrative.settle_time`).
INTERNAL = frozenset(
    {
        "isolated", "majority", "minority", "alternative", "production_ok", "core", "device",
        "others_fine", "temporary", "count", "correction", "account_role",
    }
)  # fmt: skip
# Which group each raw signal belongs to (the internal ones included).
GROUPS: dict[str, str] = {
    "production": "scope",
    "nonproduction": "scope",
    "production_ok": "scope",
    "all": "breadth",
    "some": "breadth",
    "one": "breadth",
    "isolated": "breadth",
    "majority": "breadth",
    "minority": "breadth",
    "alternative": "breadth",
    "core": "breadth",
    "device": "breadth",
    "unaffected": "unaffected",
    "outage": "impact",
    "degraded": "impact",
    "minor": "impact",
    "trivial": "impact",
    "question": "impact",
    "request": "impact",
    "scheduled": "impact",
    "fault": "impact",
    "account": "account",
    "account_role": "account",
    "setup": "setup",
    "portal": "portal",
    "workaround": "workaround",
    "no_workaround": "workaround",
    "dotnet": "dotnet",
    "regression": "regression",
    "resolved": "resolved",
    "monitoring": "monitoring",
    "rfo": "rfo",
    "ongoing": "time",
    "widespread": "customers",
    "others_fine": "customers",
    "temporary": "temporary",
    "count": "breadth",
    "correction": "correction",
    "newinstall": "install",
    "out_of_scope": "out_of_scope",
    "enhancement": "enhancement",
    "escalated": "escalated",
    "one_way": "one_way",
    "hosted_developer": "hosted_developer",
    "call_feature": "call_feature",
}

# A match of these is ignored when a negation stands just before it ("is not down").
NEGATABLE = frozenset(
    {
        "outage", "degraded", "all", "fault", "regression", "ongoing", "widespread",
        "unaffected", "resolved", "workaround",
    }
)  # fmt: skip
# ... and these too, before a signal of a state not reached yet: "until it's resolved"; or of
# a recovery named only as the time since which something else fails: "since they came back
# not a single container starts".
NOT_YET = frozenset({"until", "till", "once", "when", "if", "before", "unless", "since"})
NOT_YET_SIGNALS = frozenset({"resolved"})
# A party named as where the fault is ("carrier side", "their SBC") and said at once to be
# healthy is where the fault is not: "the carrier side looks healthy - our node answers 503".
CLEARED = frozenset({"fine", "healthy", "ok", "okay", "clean", "normal", "good", "green"})
# ... and so is a sign of many customers hit: "your status page shows everything green".
CLEARABLE = frozenset({"out_of_scope", "widespread"})
# A workaround named in a clause that opens as a question and ends with "?" within this many
# words is asked for.
QUESTION_REACH = 12
QUESTION_OPENERS = [
    "is",
    "are",
    "can",
    "could",
    "do",
    "does",
    "did",
    "would",
    "will",
    "should",
    "shall",
    "may",
    "might",
    "any",
    "how",
    "what",
    "which",
    "where",
    "when",
    "why",
    "who",
]
# An extension number after these words, or after a number, or before these, identifies a
# phone in a contact line or a sample call; it is not the one user the trouble is about.
IDENTIFIER_BEFORE = ["internal", "from", "direct", "tel", "phone", "call", "dial", "at"]
# One device named right after these is what a check was made with, not the one affected.
CHECKS = ["tried", "tested", "checked", "try", "test", "tries", "verified", "confirmed"]
# ... and some of them, named a few words after these, what the writer did something to ("we
# power-cycled the switch and a few phones"): not the breadth of the trouble.
ACTIONS = [
    *CHECKS,
    "rebooted",
    "restarted",
    "cycled",
    "replaced",
    "reset",
    "reinstalled",
    "unplugged",
    "swapped",
    "rebooting",
    "restarting",
    "reboot",
    "restart",
]
ACTION_REACH = 5
IDENTIFIER_AFTER = ["->", "to", "→", "calling", "called", "dialing", "dialed", "dials"]
CLEARED_GAP = 3  # words between the party and "healthy": "the carrier side looks healthy"
NEGATIONS = frozenset({"not", "no", "never", "nothing", "without", "hardly"})
# A device named after one of these is not one device: "every outbound fax", "any handset".
QUANTIFIERS = frozenset({"every", "all", "each", "any", "no", "none"})
# ... and it is one device after one of these: "our fax line", "the lobby intercom".
SINGULAR_DETERMINERS = frozenset(
    {"the", "our", "my", "his", "her", "this", "that", "a", "one", "only", "single", "their"}
)

CRITICAL_VERBS = [
    "make", "place", "receive", "complete", "send", "get", "log", "login", "sign", "access",
    "connect", "reach", "dial", "call", "register", "use", "start", "boot", "open", "load",
    "work", "print", "browse", "process", "take", "answer", "deploy", "create", "launch",
    "ring", "hear", "authenticate", "save", "run", "do", "sell",
]  # fmt: skip
PLURAL_THINGS = [
    "users", "staff", "employees", "people", "customers", "clients", "subscribers", "phones",
    "handsets", "extensions", "lines", "calls", "sites", "offices", "locations", "branches",
    "stores", "shops", "environments", "containers", "nodes", "servers", "devices", "agents",
    "numbers", "dids", "trunks", "applications", "apps", "services", "resellers", "machines",
    "computers", "pcs", "laptops", "workstations", "sessions", "mailboxes", "accounts",
    "desks", "teams", "departments", "tenants", "domains", "sites", "websites", "instances",
    "endpoints", "softphones", "colleagues", "agents", "callers", "members", "hosts",
]  # fmt: skip
SINGULAR_THINGS = [
    "user", "employee", "customer", "client", "subscriber", "phone", "handset", "extension",
    "line", "call", "site", "office", "location", "branch", "store", "environment",
    "container", "node", "server", "device", "agent", "number", "did", "trunk", "application",
    "app", "service", "machine", "computer", "pc", "laptop", "workstation", "session",
    "mailbox", "account", "desk", "request", "message", "email", "packet", "invite",
    "registration", "endpoint", "softphone", "caller", "person", "one", "single",
]  # fmt: skip
# Things outside the provider's service ("other cloud services work normally").
ELSEWHERE = ["cloud", "websites", "website", "web", "online", "internet"]
# A platform's machines: one of them down is part of the platform, not one user.
NODES = ["node", "server"]
# A customer's premises, one of several.
SITES = ["office", "site", "branch", "location", "warehouse", "store", "shop", "building", "clinic"]
PROGRESSIVE = [
    "taking", "accepting", "processing", "receiving", "making", "connecting", "registering",
    "loading", "answering", "ringing", "starting", "booting", "routing", "delivering",
    "sending", "getting", "passing", "responding", "resolving", "serving",
]  # fmt: skip
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
]  # fmt: skip
# Words that cannot sit between "one" and a thing in "one test number" ("no one can call").
ONE_NOT_BEFORE = [
    "of", "in", "way", "more", "time", "can", "could", "will", "would", "should", "may", "is",
    "was", "has", "had", "does", "did", "must", "seems", "knows", "answers", "picks",
]  # fmt: skip
CUSTOMER_QUANTIFIERS = [
    "all", "multiple", "many", "several", "most", "other", "numerous", "various", "different",
    "dozens", "hundreds", "every", "lots",
]  # fmt: skip
CUSTOMER_NOUNS = [
    "customers", "clients", "tenants", "companies", "organisations", "organizations",
    "businesses", "resellers", "firms", "practices", "customer", "client", "tenant",
]  # fmt: skip
# Other organisations a provider serves: "the other districts in the county that you manage".
ORGANISATIONS = [
    "customers", "clients", "tenants", "companies", "organisations", "organizations",
    "businesses", "resellers", "firms", "practices", "districts", "schools", "clinics",
    "agencies", "stores", "shops", "restaurants", "hotels",
]  # fmt: skip
MINORITY_SHARE = r"^([1-9]|[1-4]\d)([.,]\d+)?$"  # 1-49 (%)
MAJORITY_SHARE = r"^([5-9]\d|100)([.,]\d+)?$"  # 50-100 (%)
# Words that cannot stand between a thing and "fine" / "works" when the sentence says it works.
NOT_BETWEEN = [
    "not", "no", "never", "but", "nothing", "without", "hardly", "barely", "only", "except",
    ":", ";", "?", "(", ")", "intermittently", "sometimes", "randomly",
]  # fmt: skip
# What a mail has a few of, not what fails: "a couple of observations in case they help",
# "a few questions".
MAIL_THINGS = [
    "questions", "things", "points", "notes", "observations", "remarks", "details", "comments",
    "ideas", "suggestions", "tips", "screenshots", "examples", "logs", "lines",
]  # fmt: skip
# ... and between "production" and "is not affected" / "is perfectly fine": one clause about
# production (brackets allowed; not "in production since 9, all other carriers are fine").
SPARED_NOT_BETWEEN = [
    *(word for word in NOT_BETWEEN if word not in ("(", ")")),
    ",",
    ".",
    "!",
    "other",
    "others",
]
# Statements that something works: "... work", "... is fine", "... ring fine", "... ok".
WORKS = [
    "fine", "ok", "okay", "unaffected", "work", "works", "working", "clear", "normally",
    "normal", "untouched", "unimpacted",
]  # fmt: skip
# One part or path of a service, whose working says the trouble is partial: "outbound calls
# work", "sending works", "UDP phones register fine", "both envs work".
PARTS = [
    "other", "older", "existing", "remaining", "rest", "inbound", "outbound", "incoming",
    "outgoing", "sending", "receiving", "internal", "external", "local", "direct", "normal",
    "regular", "domestic", "both", "udp", "tcp", "landline", "landlines", "mobile", "mobiles",
    "most", "many", "some", "custom", "older", "newer", "running", "headquarters", "hq",
]  # fmt: skip
# Another way in, whose working is a workaround: "manual scaling works", "the API works".
ALTERNATIVES = [
    "manual", "manually", "archive", "api", "url", "backup", "secondary", "second", "fallback",
    "alternate", "alternative", "cli", "ssh", "webmail",
]  # fmt: skip
# The service itself, whose working says users are not affected: "calls work normally",
# "the app is up", "end users unaffected", "our stuff seems to be working".
SERVICE_ITSELF = [
    "calls", "call", "phones", "service", "services", "platform", "app", "apps", "application",
    "applications", "site", "website", "users", "customers", "traffic", "stuff", "system",
    "everything", "audio", "registrations",
]  # fmt: skip
# What may stand before the service itself when the text says it works ("Calls work", "but
# our calls work"); any other word qualifies it to a part ("1:1 calls are unaffected").
UNQUALIFIED = [
    "the", "our", "all", "my", "its", "their", "and", "but", "so", "though", "otherwise",
    "still", "now", "yet", "while", "although", "as", "everything", "that", "said", "else",
    "running", "live", "existing", "deployed",
]  # fmt: skip
# What a stopped function no longer does: "no recordings are being written".
FUNCTION_VERBS = [
    "written", "saved", "recorded", "sent", "delivered", "created", "processed", "generated",
    "stored", "received", "uploaded", "synced", "synchronised", "synchronized", "forwarded",
    "transcribed", "charged", "billed", "logged", "delivering", "sending", "processing",
]  # fmt: skip
# Single devices: "our fax line", "the warehouse cordless phone", "the meeting room speaker".
DEVICES = [
    "fax", "ata", "printer", "speaker", "speakerphone", "cordless", "intercom", "headset",
    "doorphone", "softphone", "laptop", "tablet", "scanner", "copier", "webcam",
]  # fmt: skip
# What follows "phone" or "fax" when it is not one device: "phone system", "fax machines".
NOT_A_DEVICE = [
    *PLURAL_THINGS, "machines", "servers", "and", "or", "/", "system", "systems", "service",
    "services", "provider", "network", "numbers", "company", "bill", "support", "tree", "menu",
    "outage", "platform", "-", "lines", "traffic", "queue", "queues", "server",
]  # fmt: skip
SOURCES = ["provider", "carrier", "isp", "telco", "vendor", "upstream", "registrar", "supplier"]
SOURCE_FAULTS = [
    "outage", "outages", "issue", "issues", "problem", "problems", "fault", "faults", "down",
    "failure", "fixed", "bug", "incident", "broken", "error", "errors", "maintenance",
]  # fmt: skip
SAYS = [
    "says", "said", "confirmed", "confirms", "reported", "reports", "admitted", "admits",
    "acknowledged", "acknowledges", "told",
]  # fmt: skip
TIME_UNITS = ["seconds", "minutes", "hours", "days", "second", "minute", "hour", "day", "mins"]
REPORTED = [
    "texted", "called", "rang", "said", "told", "reported", "complained", "emailed",
    "mentioned", "say", "tell", "report", "complain", "wrote", "messaged", "phoned",
]  # fmt: skip
LONGER_TIMES = ["weeks", "months", "years", "week", "month", "year", "secs", "moments", "rings"]

PHRASES: dict[str, tuple[str, ...]] = {
    "outage": (
        "outage", "total outage", "full outage", "complete outage", "major outage",
        "service outage", "network outage", "system down", "site down", "server down",
        "service down", "platform down", "network down", "internet down", "email down",
        "phones down", "is down", "are down", "went down", "was down", "been down",
        "has gone down", "have gone down", "gone down", "all down", "fully down",
        "completely down", "totally down", "down for everyone", "down for all", "we are down",
        "is down again", "down since", "down right now", "offline", "went offline",
        "knocked offline", "dead", "completely dead", "line is dead", "dead air", "no dial tone",
        "no dialtone", "without dial tone", "no service", "no phone service", "no audio",
        "no sound", "no calls", "no inbound calls", "no outbound calls", "no incoming calls",
        "no calls in or out", "no internet", "no network", "no connectivity", "no connection",
        "no email", "no access", "lost connectivity", "lost connection", "lost internet",
        "lost power", "power failure", "power cut", "loss of service", "complete loss",
        "total loss", "nothing works", "nothing is working", "nothing working", "nothing loads",
        "nothing gets through", "nothing is getting through", "nothing is being processed",
        "nothing is accessible", "nothing goes through", "nothing at all", "not working at all",
        "does not work at all", "not at all", "stopped completely", "completely stopped",
        "stopped working completely", "has stopped", "have stopped", "ground to a halt", "halted",
        "unreachable", "unavailable", "completely unavailable", "not available", "not responding",
        "unresponsive", "not reachable", "can not be reached", "will not start",
        "will not come up", "will not boot", "does not start", "does not boot", "fails to start",
        "failed to start", "failing to start", "refuses to start", "will not load",
        "does not load", "will not open", "not loading", "crashed", "crashes", "keeps crashing",
        "crash loop", "crash-loop", "crashing", "fatal", "fatal error", "fatal exception",
        "segmentation fault", "segfault", "kernel panic", "out of memory", "outofmemoryerror",
        "blue screen", "data loss", "lost data", "lost all", "corrupted", "corruption",
        "encrypted", "ransomware", "ransom", "inaccessible", "unusable", "locked out",
        "fast busy", "not in service", "registration failed", "registration fails",
        "fail to register", "fails to register", "failing to register", "failed to register",
        "not registering", "will not register", "unregistered", "no registration", "503",
        "service unavailable", "502", "bad gateway", "internal server error", "standstill",
        "at a standstill", "dead in the water", "stopped delivering", "stopped processing",
        "stopped responding", "rejecting all", "rejects every", "rejecting every",
        "all calls fail", "all calls are failing", "every call fails", "calls are failing",
        "calls fail", "calls failing", "not going through", "not getting through",
        "are not getting through", "cannot get through", "can not get through", "no one can",
        "nobody can", "no one is able", "nobody is able", "completely broken", "totally broken",
        "entirely broken", "system is down", "went dark", "blackout", "no response at all",
        "zero calls", "0 calls", "at zero", "cannot work", "can not work", "can not do anything",
        "out of service", "down hard", "hard down", "is broken", "are broken", "no traffic",
        "no messages", "no sms", "no dial", "does not ring", "will not ring", "not ringing",
        "not worked", "has not worked", "have not worked", "not been working",
        "everything is down", "everything's down", "everything went down", "not a single call",
        "not one call", "gone silent", "went silent", "totally silent", "completely silent",
        # a monitor's count of the service at zero, and a service that stops taking work
        "dropped to zero", "dropped to 0", "fell to zero", "fell to 0", "went to zero",
        "went to 0", "down to zero", "down to 0", "stopped accepting", "stops accepting",
        "stop accepting", "not accepting", "nothing connects", "nothing is connecting",
        "no customer can", "none of our customers can", "none of our clients can",
        "stopped answering", "stops answering", "never answers", "not answering",
        "not resolving", "rings out", "ring out", "can not place any", "can not make any",
        "can not receive any", "died", "has died", "have died", "just died", "zero messages",
        "zero traffic", "zero requests", "zero registrations", "silently discards",
        "silently dropped", "nothing can be",
        # written without the apostrophe
        "wont start", "wont load", "wont boot", "wont register", "wont connect", "wont ring",
    ),
    "degraded": (
        "intermittent", "intermittently", "sporadic", "sporadically", "on and off", "off and on",
        "comes and goes", "come and go", "hit and miss", "hit or miss", "randomly", "at random",
        "periodic", "periodically", "periodic interruptions", "interruptions", "interrupted",
        "dropping", "drops", "dropped", "dropped calls", "calls drop", "keeps dropping",
        "keep dropping", "disconnecting", "disconnects", "getting disconnected",
        "get disconnected", "gets disconnected", "cut off", "cuts out", "cutting out", "cut out",
        "one-way audio", "one way audio", "choppy", "robotic", "garbled", "jitter", "packet loss",
        "echo", "crackling", "poor quality", "bad quality", "poor audio", "audio quality",
        "call quality", "quality issues", "degraded", "degradation", "degrading", "slow",
        "very slow", "really slow", "extremely slow", "painfully slow", "slowness", "slowed down",
        "sluggish", "lag", "laggy", "lagging", "latency", "high latency", "delay", "delays",
        "delayed", "arriving late", "timeouts", "timeout", "time out", "times out", "timing out",
        "timed out", "unstable", "instability", "unreliable", "flaky", "flapping",
        "partial outage", "partially", "partly", "some calls fail", "some calls are failing",
        "not all calls", "memory leak", "leaking memory", "keeps restarting", "keep restarting",
        "restarts", "restarting", "high cpu", "cpu spikes", "freezing", "freezes", "frozen",
        "hangs", "hanging", "limited capabilities", "severely restricted", "restricted",
        "impaired", "significant impact", "significantly", "disrupting", "disruption",
        "disrupted", "losing time", "slowing us down", "no redundancy", "failover", "busy signal",
        "sometimes fails", "sometimes fail", "fails sometimes", "often fails", "keeps failing",
        "error rate", "backlog", "queue is growing", "unstable connection", "packet drops",
        "keeps disconnecting", "some messages", "some requests", "not every call",
        "degraded performance", "performance issues", "performance problem", "bottleneck",
        "overloaded", "congestion", "not reliable", "barely", "static on the line",
        "minutes late", "hours late", "running late", "for a minute or two", "for a few minutes",
        "for a few seconds", "for a couple of minutes", "briefly", "brief outages", "blips",
        "short outages",
    ),
    "minor": (
        "minor", "minor issue", "minor problem", "minor bug", "small issue", "small problem",
        "small bug", "slight", "slightly", "a bug", "glitch", "quirk", "annoying",
        "annoyance", "inconvenience", "inconvenient", "not a big deal", "no big deal",
        "not critical", "not serious", "low impact", "minimal impact", "little impact",
        "no impact", "does not affect", "not affecting", "not causing problems",
        "not causing any problems", "no real impact", "still works", "still work",
        "still working", "still usable", "usable", "otherwise fine", "everything else works",
        "everything else is fine", "everything works", "works fine otherwise",
        "works after", "works on retry", "we can still", "can still", "still able to",
        "wrong", "incorrect", "incorrectly", "inaccurate", "missing", "disappeared",
        "does not show", "not showing", "shows the wrong", "warning", "warnings",
        "error message", "odd", "strange", "weird", "one-off", "just once",
        "not blocking", "non-blocking", "easily", "harmless", "only cosmetic", "duplicate",
        "duplicates", "mismatch", "outdated", "out of date", "broken link", "404",
    ),
    "trivial": (
        "cosmetic", "purely cosmetic", "cosmetic issue", "typo", "typos", "spelling",
        "misspelled", "misspelt", "alignment", "misaligned", "font", "colour", "color", "logo",
        "wallpaper", "no rush", "no hurry", "not urgent", "nothing urgent", "is not urgent",
        "low priority", "whenever you get a chance", "whenever you can", "whenever convenient",
        "whenever is convenient", "when you get a chance", "when you have a moment",
        "when you have time", "when you get time", "at your convenience", "when convenient",
        "when it is convenient", "in your own time", "no deadline", "not time critical",
        "not time-critical", "just curious", "out of curiosity", "nice to have",
        "just thought you should know", "fyi", "for your information", "not important",
        "not a priority", "trivial", "nitpick", "tiny", "when someone is free", "when you can",
        "no urgency", "not pressing", "can wait", "it can wait", "not in a hurry",
        "low importance", "whenever you", "whenever possible", "whenever someone",
    ),
    "question": (
        "how do i", "how do we", "how can i", "how can we", "how should i", "how should we",
        "how would i", "how would we", "how to", "how does", "how are", "how is", "how many",
        "how much", "is it possible", "is there a way", "is there any way", "is there a guide",
        "is there documentation", "is there a limit", "is there", "are there", "can i", "can we",
        "could i", "could we", "can you explain", "could you explain", "can you tell me",
        "could you tell me", "what is", "what are", "what does", "where can i", "where do i",
        "where is", "where are", "when will", "do you support", "does it support", "do you have",
        "documentation", "docs", "guide", "user guide", "tutorial", "best practice",
        "best practices", "recommended", "recommendation", "recommend", "advice", "advise",
        "question", "questions", "quick question", "general question", "a question", "wondering",
        "i was wondering", "curious", "clarify", "clarification", "explain", "help me understand",
        "point me to", "how-to", "faq", "is it normal", "should we", "should i", "do we need",
        "does this", "is this expected", "what happens", "what would", "any idea", "any ideas",
        "instructions", "walk me through", "show me how", "knowledge base",
        # about the contract or a hypothetical, not an incident: "does your SLA cover a full
        # outage?", "in the event of an outage, who do we call?"
        "does your sla", "does the sla", "does our sla", "does your contract",
        "does the contract", "does our contract", "in the event of", "hypothetically",
        "what is your process", "how do you handle",
    ),
    "request": (
        "feature request", "enhancement", "enhancement request", "enhancements", "new feature",
        "would be nice", "would be great", "it would be great if", "would love", "would like",
        "please add", "could you add", "can you add", "add support for", "support for", "roadmap",
        "please create", "create a", "please set up", "set up a", "set up an", "can you set up",
        "could you set up", "please configure", "can you configure", "could you configure",
        "please change", "could you change", "can you change", "change the", "please update",
        "update the", "please enable", "please disable", "please remove", "please install",
        "quote", "pricing", "price", "custom programming", "new user", "new starter", "new hire",
        "new employee", "onboard", "onboarding", "offboard", "offboarding", "add a user",
        "add user", "add an extension", "new extension", "license", "licence", "license file",
        "upgrade our", "more storage", "purchase", "buy", "training", "provision", "provisioning",
        "reset my password", "password reset", "reset the password", "grant access",
        "give access", "permissions", "permission", "requesting", "please send", "can you send",
        "could you send", "we want to", "we would like", "i would like", "add a", "add an",
        "please provide", "integrate", "integration", "customise", "customize", "custom", "brand",
        "branding", "move the", "transfer the number", "porting", "new number", "new line",
        "additional", "increase", "expand", "allow", "whitelist", "allowlist", "new features",
        "place an order", "order more",
    ),
    "scheduled": (
        "schedule", "scheduled", "scheduling", "reschedule", "book", "book in", "arrange a time",
        "arrange", "maintenance window", "planned maintenance", "planned", "planning",
        "next week", "next month", "next quarter", "next year", "later date", "at a later date",
        "a later time", "upcoming", "migration window", "move office", "office move",
        "moving office", "we are moving", "relocation", "relocating", "cutover", "cut-over",
        "go-live", "go live", "appointment", "reserve", "available dates", "which dates",
        "what dates", "a date", "a time slot", "time slot", "this weekend", "over the weekend",
        "after hours work", "out of hours", "out-of-hours", "in advance", "start of next",
        "end of the month", "beginning of", "in two weeks", "in a few weeks",
        "in the coming weeks", "sometime in", "from next", "as of next", "plan the", "plan this",
        "plan a", "book an", "book a",
    ),
    "fault": (
        "not working", "stopped working", "no longer works", "no longer working", "does not work",
        "broken", "fails", "failing", "failed", "failure", "error", "errors", "issue", "issues",
        "problem", "problems", "trouble", "bug", "fault", "faulty", "malfunction",
        "malfunctioning", "exception", "not functioning", "not function", "misbehaving",
        "went wrong", "goes wrong", "affected", "impacted",
    ),
    "account": (
        "password", "passwords", "password reset", "reset my password", "my account",
        "our account", "the account", "account access", "access to the account",
        "access to my account", "access our account", "account dashboard",
        "locked out of my account", "login", "log in", "log into", "logon", "sign in", "signin",
        "username", "user name", "credentials", "user is disabled", "account is disabled",
        "account disabled", "account locked", "mfa", "2fa", "two-factor", "two factor",
        "authenticator", "password expired", "password renewal", "renew my password",
        "expired password", "my login", "my user", "my profile", "locked out", "unlock",
        "unlock me", "unlock my account",
    ),
    # a person's role or a reference, not access to the account: "our account managers",
    # "your account team" (internal: it only outweighs `account`, then is dropped)
    "account_role": tuple(
        f"{owner} account {role}"
        for owner in ("our", "my", "your", "the")
        for role in ("manager", "managers", "team", "executive", "rep", "number", "id")
    ),
    "setup": (
        "set up", "setup", "setting up", "configure", "configuring", "configuration", "config",
        "reconfigure", "auto attendant", "auto-attendant", "aa", "ivr menu", "menu", "dial plan",
        "dialplan", "ring group", "hunt group", "simultaneous ring", "sim ring", "call queue",
        "call flow", "time condition", "time conditions", "holiday schedule",
        "after hours greeting", "greeting", "provision", "provisioning", "new install",
        "new installation", "installation", "install", "installer", "custom programming",
        "programming", "device configuration", "new phone", "new phones", "new handset",
        "new device", "add an extension", "new extension", "caller id name", "display name",
        "voicemail pin", "pin", "onboarding", "deploy a new", "integration", "integrate",
        "settings",
    ),
    "portal": (
        "web interface", "web portal", "portal", "dashboard", "admin console", "console",
        "web gui", "gui", "management interface", "control panel", "admin panel",
        "admin page", "user panel", "management portal", "web ui", "admin ui",
        "self-service portal", "web admin", "management console",
    ),
    "workaround": (
        "workaround", "work around", "work-around", "as a workaround", "in the meantime",
        "for the time being", "we switched to", "we have switched to", "we've switched to",
        "i switched to", "we switched over to", "meanwhile", "as a fallback", "as fallback",
        "using the backup", "use the backup", "manually",
        "by hand", "retrying usually works", "redialing usually works", "retry works",
        "works on retry", "temporary fix", "failover to", "using our mobiles",
        "forwarded to mobiles", "forwarded to cell", "instead for now", "for now we",
        "we are using", "we're using", "we can switch to", "can switch to", "we can use",
        "we restart it", "restart it every", "restarting it every", "we reboot it",
        "told users to use", "told our users to use", "asked users to use",
    ),
    "no_workaround": (
        "no workaround", "no work around", "no work-around", "without a workaround",
        "without workaround", "there is no workaround", "no acceptable workaround",
        "no way around", "no alternative", "no workaround available",
        "no workaround we know of", "no known workaround", "nothing we can do",
        "no fallback", "no backup",
        # "Workaround: none yet", "workaround - none": a field of an incident report
        "workaround: none", "workaround - none", "workaround none", "workarounds: none",
        "no workaround yet",
    ),
    # other customers of the provider are fine, or nothing says they are hit: "it's just us",
    # "only our company", "nothing reported on the status page" (internal: outweighs
    # `widespread`, see `signals._settle_customers`)
    "others_fine": (
        "just us", "only us", "only our company", "only our office", "just our company",
        "just our office", "only our firm", "only our organisation", "only our organization",
        "no problem reported", "no problems reported", "no issue reported",
        "no issues reported", "nothing reported", "no incident reported",
        "no incidents reported", "everything green", "all green",
    ),
    # it grew worse since the thread began: the new text says what it became ("it got a lot
    # worse", "no longer intermittent - now every call fails"), `decide.ESCALATION`
    "escalated": (
        "got worse", "got a lot worse", "got much worse", "gotten worse", "gotten a lot worse",
        "gotten much worse", "getting worse", "getting much worse", "much worse",
        "a lot worse", "far worse", "even worse", "this escalated", "it escalated",
        "has escalated into", "escalated into", "escalated to a full",
        "no longer intermittent", "no longer slow", "no longer partial", "not just slow",
        "not only slow", "now full outage", "now a full outage", "now total outage",
        "now complete outage", "now everything", "now nothing", "now completely",
        "turned into a", "became a full", "worse than",
    ),
    # a developer whose application a hoster runs on the platform, writing to the platform's
    # vendor: Jelastic supports "Hosting Providers and Enterprize users only"
    "hosted_developer": (
        "i'm a developer", "i am a developer", "i'm the developer", "i am the developer",
        "as a developer on", "my hoster", "my hosting provider", "my hosting company",
        "my provider", "my web host", "via hoster", "via my hoster", "through my hoster",
        "provider that uses your platform", "provider using your platform",
        "hoster that uses your platform", "hoster using your platform",
        "a provider on your platform", "a hoster on your platform",
        "hosted with a provider", "hosted at a provider", "host my app at",
        "hosted by a provider", "a provider that uses jelastic", "a hoster that uses jelastic",
        "my hosting", "i host with", "they use your", "they use jelastic",
        "hosted on jelastic", "pay for hosting", "i pay for hosting",
    ),
    # a count, not a part: "several hundred thousand sessions a day" (internal, dropped)
    "count": (
        "several hundred", "several thousand", "several million", "a few hundred",
        "a few thousand", "many thousands", "several dozen",
    ),
    # the writer corrects what they first wrote: "Actually I just walked round: it's every
    # phone" (internal: the breadth named after it stands, `signals._settle_breadth`)
    "correction": (
        "actually", "correction", "turns out", "it turns out", "in fact", "i just checked",
        "just walked round", "just walked around", "update:", "on closer look",
    ),
    # a call-handling feature of a working phone system: voicemail delivery and greetings,
    # call park, call transfers (ThreePBX's Priority 3: "trouble related to call processing,
    # routing, voicemail or call transfers within a previously operational PBX")
    "call_feature": (
        "voicemail to email", "voicemail-to-email", "voicemails to email",
        "voicemails to our email", "voicemail emails", "voicemail notifications",
        "voicemail greeting", "voicemail greetings", "call park", "parked call",
        "parked calls", "park a call", "parking a call", "call transfer", "call transfers",
        "transferring calls", "transfers to external", "blind transfer", "blind transfers",
        "attended transfer", "attended transfers", "warm transfer", "warm transfers",
    ),
    # one-way audio: one side of the call hears, the other does not (ThreePBX's Priority 2
    # example, however many lines it is on)
    "one_way": (
        "one-way audio", "one way audio", "oneway audio", "one-way sound", "one way sound",
        "audio in one direction", "audio only one way", "can not hear us", "cannot hear us",
        "can not hear me", "cannot hear me", "can not hear them", "cannot hear them",
        "can not hear the caller", "can not hear callers", "can not hear the other side",
        "can not hear the other party", "we hear them", "we can hear them", "i can hear them",
        "can hear them but", "we hear the caller", "we can hear the caller", "hear them fine",
        "they can not hear", "callers can not hear", "caller can not hear",
        "customers can not hear",
    ),
    "dotnet": (
        "asp.net", "dotnet", ".net prod", ".net production", ".net core", ".net framework",
        ".net app", ".net application",
        ".net 6", ".net 7", ".net 8", ".net 4.8", "a .net", "our .net", "the .net",
        "all .net", ".net environments", ".net environment", ".net sites", ".net apps",
        ".net customers", ".net websites", "iis",
        "ms sql", "ms-sql", "mssql", "sql server", "microsoft sql", "windows iis", "c#",
    ),
    "regression": (
        "stopped", "stopped working", "used to work", "was working", "were working",
        "it worked", "worked fine", "working fine until", "no longer", "anymore", "any more",
        "suddenly", "all of a sudden", "this started", "started", "began", "since yesterday",
        "since this morning", "since last", "since the update", "since the upgrade",
        "since the change", "previously", "until recently", "recently", "after the update",
        "after the upgrade", "after the change", "after updating", "after upgrading",
    ),
    "resolved": (
        "resolved", "is resolved", "resolved now", "working again", "works again",
        "back to normal", "fixed now", "is fixed", "seems fixed", "back up", "came back",
        "restored", "service restored", "has cleared", "alarm cleared", "alert cleared",
        "cleared up", "recovered", "issue is gone", "all fine now", "all good now",
        "fine now", "working now", "works now", "all working now", "working since",
        "close the ticket", "you can close", "re-registered", "sorry for the noise",
        "false alarm", "back online", "online again", "flowing again", "running again",
        "normal since", "stable since", "has been stable", "have been stable",
        "been working normally since", "been working fine since", "working normally since",
        "working fine since", "working normally again", "working fine again",
        "has been completely stable", "has been fully stable", "stable again",
    ),
    "temporary": (
        "for the moment", "for now", "for the time being", "temporarily", "at least for now",
        "for a few minutes", "for a while",
    ),
    "monitoring": (
        "monitor", "monitoring", "keep an eye", "keep the ticket open", "leave the ticket open",
        "keep this open", "leave this open", "keep it open", "leave it open",
        "keep the case open", "leave the case open", "observe", "watch it",
    ),
    "rfo": (
        "root cause", "root-cause", "rca", "reason for outage", "reason for the outage", "rfo",
        "post-mortem", "postmortem", "post mortem", "incident report", "outage report",
        "what caused", "what happened", "report on the outage", "report on the incident",
        "report about the outage", "why it happened", "why this happened",
        "why the service was down", "why it went down", "why it was down", "why we were down",
        "why were we down", "why was it down", "why did it go down", "explanation of the outage",
        "explanation for the outage", "full explanation", "write-up", "incident summary",
        "cause of the outage", "cause of the incident", "cause of the interruption",
        "last night's outage", "yesterday's outage", "the outage yesterday",
        "the outage last night", "the earlier outage", "the recent outage", "the incident on",
        "after-action", "lessons learned", "make sure it does not happen again",
        "prevent it from happening again", "prevent a recurrence", "so it does not happen again",
    ),
    "ongoing": (
        "still down", "still not working", "still failing", "still dead", "still no",
        "still broken", "still happening", "still an issue", "still affected", "down again",
        "failing again", "right now", "as we speak",
        "at the moment", "currently down", "currently failing", "is ongoing", "ongoing outage",
        "still ongoing", "keeps happening", "is happening now", "now down", "now failing",
        "is now down", "are now down", "now fails", "now fail", "every call now",
        "outage again", "again today", "again this morning", "again right now",
        "since this morning", "since about", "since around", "as of this morning", "currently",
        "is down", "are down",
    ),
    "widespread": (
        "all customers", "all of our customers", "all our customers", "all clients",
        "all of our clients", "all our clients", "multiple customers", "many customers",
        "several customers", "multiple clients", "many clients", "several clients",
        "all tenants", "multiple tenants", "several tenants", "every customer", "every client",
        "every tenant", "all of your customers", "other customers too", "other clients too",
        # (not "GLOBAL OUTAGE!!!" or "widespread" alone: a writer's name for their own office's
        # outage is not evidence that other customers are hit)
        "whole customer base",
        "entire customer base", "all resellers", "multiple resellers", "many of our customers",
        "most of our customers", "most customers", "across customers", "other companies",
        "platform-wide", "all our hosted customers", "all hosted customers", "all regions",
        "status page", "your status page", "other firms", "other businesses",
        "other companies too", "not just us", "not only us", "other customers of yours",
        "other customers are", "others are reporting", "other people are reporting",
        "neighbouring businesses", "neighboring businesses", "partner dashboard", "we manage",
        "offices we manage", "clients we manage", "all of our managed", "all our managed",
        "managed clients", "downdetector", "down detector", "every client site",
        "all client sites", "another client of yours", "another customer of yours",
        "other clients of yours", "another of your clients", "another of your customers",
        "our clients' sites", "our customers' sites", "clients' sites", "customers' sites",
        "all environments on our platform", "every environment on our platform",
    ),
    "newinstall": (
        "new install", "new installation", "new system install", "new deployment",
        "new setup", "not live yet", "not yet live", "before go-live", "before going live",
        "go-live", "go live", "going live", "cutover", "cut-over", "before cutover",
        "onboarding", "initial setup", "initial installation", "first installation",
        "test installation", "test install", "new site install", "being installed",
        "just installed", "just set up", "still setting up", "porting in progress",
        "not in use yet", "pilot",
    ),
    "enhancement": (
        "feature request", "enhancement", "enhancement request", "enhancements", "new feature",
        "new features", "would be nice", "it would be great if", "would love", "roadmap",
        "add support for", "please support", "upgrade request", "upgrade our", "upgrade to",
        "upgrade the", "upgrading to", "an upgrade", "the upgrade of", "feature idea",
        "suggestion", "could you add a feature", "wish list", "wishlist", "integration with",
    ),
    "out_of_scope": (
        "carrier confirmed", "carrier has confirmed", "carrier confirms",
        "the carrier confirmed", "fault on the carrier side", "problem on the carrier side",
        "issue on the carrier side", "fault on the carrier's side", "carrier-side fault",
        "carrier-side issue", "carrier-side problem", "carrier-side outage",
        "upstream carrier", "upstream provider", "isp confirmed", "third-party",
        "third party", "3rd party", "3rd-party", "performance tuning", "tune performance",
        "tuning the performance", "tune the performance", "optimise performance",
        "optimize performance", "our own application", "our custom application",
        "our application code", "bug in our code", "technology preview", "tech preview",
        "our code", "look at our code", "review our code", "our own code", "asterisk",
        "kamailio", "opensips", "freeswitch", "tune our", "fine-tune", "fine tune", "tuning",
        "preview feature", "beta feature", "our internet is down",
        "our internet connection is down", "isp is down", "isp outage", "internet outage at our",
        "community edition", "unlicensed", "not licensed", "fault on their",
        "problem on their side", "issue on their side", "fault on their side",
        "fault is on their", "problem is on their", "issue is on their", "fault lies with",
        "their interconnect", "debug our", "our handler", "our handler code", "our webhook code",
    ),
    "nonproduction": (
        "staging", "stage environment", "staging environment", "staging server",
        "development environment", "dev environment", "dev server", "dev box", "dev cluster",
        "dev instance", "dev system", "development lab", "development server",
        "development cluster", "development system", "development instance", "development setup",
        "in development", "test environment", "test server", "test box", "test system",
        "test instance", "test lab", "test platform", "test cluster", "test pbx", "test tenant",
        "test account", "test domain", "test site", "testing environment", "test env",
        "lab environment", "sandbox", "qa", "qa environment", "uat", "pre-production",
        "preproduction", "pre-prod", "preprod", "demo environment", "demo server",
        "proof of concept", "poc", "evaluation", "evaluating", "trial account", "prototype",
        "prototyping", "localhost", "local machine", "not in production", "not affecting customers",
        "nothing is in production", "nothing in production", "not yet in production",
        "not in production yet", "nothing is live yet", "nothing is live",
        "not affecting production", "no production impact",
        "not customer facing", "not customer-facing", "not live yet", "before go-live",
        "before going live", "not in use yet", "not yet live", "test machine", "our lab",
        "in the lab", "lab setup", "free trial", "trial license", "evaluation license",
        "new install", "new installation",
        "test installation", "test install", "before cutover", "pilot",
    ),
    "production_ok": (
        "production is fine", "production is unaffected", "production unaffected",
        "production is not affected", "production is ok", "production is working",
        "production works", "prod is fine", "prod is ok", "prod is unaffected", "live is fine",
        "production is okay", "prod is okay", "production is untouched", "production untouched",
        "prod untouched", "production not affected", "production not impacted",
    ),
    "unaffected": (
        "no user impact", "no impact on users", "no end user impact", "no end-user impact",
        "no customer impact", "no impact to users", "no impact to customers",
        "no impact on customers", "no service impact", "no impact on service",
        "users unaffected", "end users unaffected", "customers unaffected",
        "business continues", "business as usual", "no one noticed", "nobody noticed",
        "customers did not notice", "users did not notice", "nothing is down",
        "nothing is actually down", "nothing is offline",
    ),
    "production": (
        "production", "prod", "live system", "live environment", "live service",
        "live traffic", "live platform", "in production", "production traffic",
        "production environment", "production server", "production cluster", "production site",
        "end users", "end-users", "customer-facing", "customer facing", "primary production",
        "real customers", "paying customers",
    ),
    "all": (
        "everyone", "everybody", "every user", "every phone", "every desk phone",
        "every extension", "every customer", "every device", "every call", "every single",
        "every machine", "every environment", "every site", "every location", "all users",
        "all staff", "all employees", "all customers", "all subscribers", "all phones",
        "all lines", "all calls", "all traffic", "all sites", "all offices", "all locations",
        "all branches", "all environments", "all containers", "all of us", "all of them",
        "whole office", "whole company", "whole building", "whole firm", "whole team",
        "whole organisation", "whole organization", "whole site", "whole platform",
        "whole system", "whole customer base", "entire company", "entire office",
        "entire organisation", "entire organization", "entire building", "entire platform",
        "entire system", "entire service", "entire network", "entire customer base",
        "company-wide", "companywide", "organisation-wide", "organization-wide", "system-wide",
        "systemwide", "platform-wide", "network-wide", "site-wide", "globally", "global outage",
        "global", "widespread", "across the board", "across all", "nobody", "no one", "noone",
        "no one can", "no one could",
        "none of our", "none of the", "for anyone", "any calls",
        "all of our", "all our", "our only location", "only location", "every one of",
        "each and every", "every single one", "for any of our", "for any of the", "both sites",
        "both offices", "both locations", "both branches", "not a single", "not one",
        "everywhere", "every one",
        # "not able to complete a single call": none of them
        "complete a single call", "make a single call", "place a single call",
        "receive a single call", "get a single call", "complete one call",
        # more than the part named: "at all three sites, not only the warehouse"
        "not only the", "not just the", "not only our", "not just our",
    ),
    "some": (
        "some users", "some of", "some calls", "some customers", "some phones", "some people",
        "several", "certain", "specific", "particular", "one site",
        "one office", "one location", "one branch", "one department", "one team", "one carrier",
        "one route", "one of our sites", "one of our offices", "the branch", "our branch",
        "one node", "one of the nodes", "one of our nodes", "one of the two nodes",
        "a single node", "one hardware node", "one server", "one of our servers",
        "the warehouse", "a portion of", "a handful of",
        "handful", "not all",
        "not everyone", "not every", "partial", "a number of", "a good number",
        "a lot of", "only affects", "only some", "one floor", "second floor", "a department",
        "one of our trunks", "the sales team", "remote users", "remote staff", "some of our",
        "area codes", "area code", "international", "toll free", "toll-free", "one region",
        "some routes", "certain routes", "specific routes", "some destinations",
        "certain destinations", "specific destinations", "specific numbers", "certain numbers",
        "long distance", "long-distance", "some environments",
        "some regions", "many users", "many of", "many calls", "many customers",
    ),
    "one": (
        "one user", "a user", "one of our users", "one phone", "my phone", "his phone",
        "one agent", "one of our agents", "a single agent", "one operator", "one staff member",
        "her phone", "one extension", "single user", "just me", "only me", "only my",
        "one person", "one customer", "my laptop", "his laptop", "her laptop", "my computer",
        "my pc", "one machine", "one pc", "one computer", "one mailbox", "my mailbox", "my email",
        "one of the phones", "one handset", "one device", "a new employee", "one employee",
        "one account", "my extension", "the front desk phone", "front desk phone",
        "reception phone", "one seat", "a colleague", "one colleague", "our ceo", "the ceo",
        "my user", "this user", "that user", "one environment", "one container",
        "one mailbox", "one number", "one did", "a single user", "a single customer",
        "a single phone", "a single laptop", "a single extension", "a single mailbox",
        "a single pc", "a single device", "a single handset", "a single employee",
        "a single person", "fax machine", "one fax", "a printer",
        "the printer", "one printer", "reception desk phone", "one workstation",
        "a single workstation", "one app", "one application", "one website",
    ),
    "majority": (
        "half of", "half the", "about half", "the majority", "majority of", "the bulk of",
        "nearly all", "almost all", "almost everyone", "nearly everyone",
    ),
    "isolated": (
        "all the other", "all other", "everyone else", "everybody else", "everything else",
        "everywhere else",
        "the rest of", "the rest are", "the others", "others are fine", "others work",
        "other phones", "other users", "other branches", "other sites", "other offices",
        "other mailboxes", "other carriers", "other systems", "other calls", "others can",
        "head office is fine", "main office works", "main office is fine", "local calls work",
        "internal calls work", "other calls work", "domestic calls are fine",
        "local calls are fine", "everyone else fine", "other branches ok", "others are ok",
        "others are okay", "local numbers fine", "local numbers work", "local numbers are fine",
        "still goes out", "still go out", "works otherwise",
        "everything else works", "otherwise fine", "the rest of the app works",
    ),
}  # fmt: skip

PATTERNS: dict[str, list[Pattern]] = {
    "fault": [
        # "stopped forwarding", "stopped ringing"
        [{"NORM": {"IN": ["stopped", "stops", "quit"]}}, {"NORM": {"REGEX": "^[a-z]+ing$"}}],
    ],
    "outage": [
        # "cannot make calls", "can't log in", "could not connect"
        [{"NORM": {"IN": ["can", "could"]}}, {"NORM": "not"}, {"NORM": {"IN": CRITICAL_VERBS}}],
        # "cant place any calls", "couldnt log in": the same, typed without the apostrophe
        [
            {"NORM": {"IN": ["cant", "couldnt", "cnt"]}},
            {"NORM": {"IN": ["even", "currently", "still", "at", "all"]}, "OP": "?"},
            {"NORM": {"IN": CRITICAL_VERBS}},
        ],
        [
            {"NORM": {"IN": ["can", "could"]}},
            {"NORM": "not"},
            {"NORM": {"IN": ["even", "currently", "still", "at", "all"]}},
            {"NORM": {"IN": CRITICAL_VERBS}},
        ],
        [{"NORM": "unable"}, {"NORM": "to"}, {"NORM": {"IN": CRITICAL_VERBS}}],
        [
            {"NORM": "no"},
            {"NORM": {"IN": ["longer", "way"]}},
            {"NORM": "to"},
            {"NORM": {"IN": CRITICAL_VERBS}},
        ],
        # "none of our phones work", "none of the lines ring"
        [
            {"NORM": "none"},
            {"NORM": "of"},
            {"IS_ALPHA": True, "OP": "{1,5}"},
            {
                "NORM": {
                    "IN": [
                        "can",
                        "could",
                        "work",
                        "works",
                        "working",
                        "have",
                        "has",
                        "ring",
                        "answer",
                        "connect",
                        "load",
                        "are",
                        "is",
                        "get",
                        "register",
                    ]
                }
            },
        ],
        # "lost its internet link", "lost all connectivity"
        [
            {"NORM": "lost"},
            {
                "NORM": {"IN": ["its", "our", "the", "all", "their", "internet", "network"]},
                "OP": "{0,2}",
            },
            {
                "NORM": {
                    "IN": [
                        "internet",
                        "connection",
                        "connectivity",
                        "network",
                        "power",
                        "link",
                        "service",
                        "access",
                        "dial",
                        "registration",
                        "data",
                    ]
                }
            },
        ],
        # "isn't taking any calls", "not accepting registrations"
        [
            {"NORM": "not"},
            {"NORM": {"IN": PROGRESSIVE}},
            {
                "NORM": {
                    "IN": [
                        "any",
                        "calls",
                        "registrations",
                        "requests",
                        "connections",
                        "traffic",
                        "messages",
                        "email",
                        "emails",
                        "anything",
                        "a",
                    ]
                }
            },
        ],
        # "calls to our IVR are failing", "calls from the app were rejected"
        [
            {"NORM": "calls"},
            {
                "IS_ALPHA": True,
                "NORM": {"NOT_IN": ["sometimes", "occasionally", "randomly", "some", "few"]},
                "OP": "{1,4}",
            },
            {"NORM": {"IN": ["are", "were"]}},
            {"NORM": {"IN": ["failing", "rejected", "all"]}},
        ],
        # "every call fails", "all requests time out"
        [
            {"NORM": {"IN": ["every", "all"]}},
            {
                "NORM": {
                    "NOT_IN": ["few", "couple", "other", "now", "time", "so", "once", *TIME_UNITS]
                },
                "IS_ALPHA": True,
            },
            {"IS_ALPHA": True, "OP": "?"},
            {
                "NORM": {
                    "IN": [
                        "fail",
                        "fails",
                        "failing",
                        "failed",
                        "rejected",
                        "drop",
                        "drops",
                        "dropping",
                        "dropped",
                        "error",
                        "errors",
                        "time",
                        "times",
                        "die",
                        "dies",
                        "crash",
                        "crashes",
                        "returns",
                        "return",
                        "hang",
                    ]
                }
            },
        ],
        [
            {
                "NORM": {
                    "IN": [
                        "phones",
                        "lines",
                        "calls",
                        "email",
                        "internet",
                        "network",
                        "server",
                        "servers",
                        "system",
                        "platform",
                        "site",
                        "website",
                        "service",
                        "app",
                        "application",
                    ]
                }
            },
            {"NORM": {"IN": ["are", "is"]}},
            {"NORM": {"IN": ["completely", "totally", "all", "fully"]}, "OP": "?"},
            {"NORM": {"IN": ["down", "dead", "offline"]}},
        ],
        # "no recordings are being written", "no invoices get generated": one function has
        # stopped entirely
        [
            {"NORM": "no"},
            {"IS_ALPHA": True, "OP": "?"},
            {"NORM": {"REGEX": "^[a-z]+s$"}},
            {"NORM": {"IN": ["are", "is", "were", "get", "gets", "have", "has"]}},
            {"NORM": {"IN": ["being", "been"]}, "OP": "?"},
            {"NORM": {"IN": FUNCTION_VERBS}},
        ],
        # "conferences all failing", "the trunks are both down"
        [
            {"NORM": {"IN": [*PLURAL_THINGS, "conferences", "recordings", "registrations"]}},
            {"NORM": {"IN": ["are", "were"]}, "OP": "?"},
            {"NORM": {"IN": ["all", "both"]}},
            {"NORM": {"IN": ["failing", "failed", "fail", "down", "dead", "offline", "broken"]}},
        ],
    ],
    "degraded": [
        # "every 20 minutes", "every few hours": periodic trouble
        [
            {"NORM": "every"},
            {"LIKE_NUM": True, "OP": "?"},
            {"NORM": {"IN": ["few", "couple", "other"]}, "OP": "?"},
            {"NORM": "of", "OP": "?"},
            {"NORM": {"IN": TIME_UNITS}},
        ],
        # "every 10-15 minutes", "every 5 to 10 minutes"
        [
            {"NORM": "every"},
            {"LIKE_NUM": True},
            {"NORM": {"IN": ["-", "to", "or"]}},
            {"LIKE_NUM": True},
            {"NORM": {"IN": TIME_UNITS}},
        ],
        # "one in ten", "1 in 20"
        [
            {"LIKE_NUM": True},
            {"NORM": {"IN": ["in", "out"]}},
            {"NORM": "of", "OP": "?"},
            {"LIKE_NUM": True},
        ],
    ],
    "scheduled": [
        [
            {"NORM": {"IN": ["on", "next", "this", "by", "until", "from", "before"]}},
            {"NORM": {"IN": WEEKDAYS}},
        ],
        [{"NORM": {"IN": MONTHS}}, {"LIKE_NUM": True}],
        [{"NORM": "the"}, {"NORM": {"REGEX": r"^\d{1,2}(st|nd|rd|th)$"}}],
        [{"NORM": {"IN": ["in", "during", "for"]}}, {"NORM": {"IN": MONTHS}}],
    ],
    "minority": [
        # "20% of calls": a stated minority share (half or more is a `majority`, below). A
        # share of something ("of calls", "of users"), not a reading ("RAM 95%", "ASR 2.1%").
        [
            {"LIKE_NUM": True, "NORM": {"REGEX": MINORITY_SHARE}},
            {"NORM": {"IN": ["%", "percent"]}},
            {"NORM": "of"},
        ],
    ],
    "some": [
        # "one call in five", "1 request out of 10": a share, not one call
        [
            {"NORM": {"IN": ["one", "1"]}},
            {"IS_ALPHA": True},
            {"NORM": {"IN": ["in", "out"]}},
            {"NORM": "of", "OP": "?"},
            {"LIKE_NUM": True},
        ],
        # "a few users", "a couple of sites"; not "a few seconds", "a couple of hours", nor
        # the people who told the writer ("a couple of customers texted that ..."): they
        # report the failure, they are not how much of it there is
        [
            {"NORM": "a"},
            {"NORM": {"IN": ["few", "couple"]}},
            {"NORM": "of", "OP": "?"},
            {"NORM": {"NOT_IN": [*TIME_UNITS, *LONGER_TIMES, *MAIL_THINGS, "more", "times", "of"]}},
            {"NORM": {"NOT_IN": REPORTED}},
        ],
        [
            {"NORM": {"IN": ["one", "1"]}},
            {"NORM": {"IN": ["in", "out"]}},
            {"NORM": "of", "OP": "?"},
            {"LIKE_NUM": True},
        ],
    ],
    "all": [
        # "all of our users", "all the phones", "all 40 users", "every desk phone"
        [
            {"NORM": "all"},
            {"NORM": {"IN": ["of", "our", "the", "my", "its", "their", "your"]}, "OP": "{0,2}"},
            {"LIKE_NUM": True, "OP": "?"},
            {"IS_ALPHA": True, "NORM": {"NOT_IN": ["other", "others"]}, "OP": "?"},
            {"NORM": {"IN": PLURAL_THINGS}},
        ],
        [
            {"NORM": {"IN": ["every", "each"]}},
            {"IS_ALPHA": True, "NORM": {"NOT_IN": ["other", "few", "couple", "now"]}, "OP": "?"},
            {"NORM": {"IN": SINGULAR_THINGS}},
        ],
        [{"NORM": "none"}, {"NORM": "of"}, {"NORM": {"IN": ["our", "the", "my", "us", "them"]}}],
        [{"NORM": {"IN": ["whole", "entire"]}}, {"IS_ALPHA": True}],
    ],
    "one": [
        # "only one test number", "a single desk phone", "one remote user"
        [
            {"NORM": {"IN": ["one", "single"]}},
            {"IS_ALPHA": True, "NORM": {"NOT_IN": ONE_NOT_BEFORE}, "OP": "?"},
            # (not "a single site" or "one office": part of the customer, `some`; nor "one
            # node" of a platform, which serves many users)
            {"NORM": {"IN": [t for t in SINGULAR_THINGS if t not in (*SITES, *NODES)]}},
        ],
        # "Kevin's phone", "the CEO's laptop"
        [
            {"NORM": "'s"},
            {
                "NORM": {
                    "IN": [
                        "phone",
                        "laptop",
                        "computer",
                        "pc",
                        "mailbox",
                        "account",
                        "extension",
                        "line",
                        "desk",
                        "handset",
                        "calendar",
                        "email",
                        "voicemail",
                        "machine",
                    ]
                }
            },
        ],
        [{"NORM": {"IN": ["extension", "mailbox", "voicemailbox", "seat"]}}, {"LIKE_NUM": True}],
        # "our fax line", "the warehouse cordless phone", "the meeting room speaker" (anchored
        # on the device: "the" would start a walk at every other word)
        # "our SIP phone at the reception desk", "my handset by the window": one phone, placed
        [
            {"NORM": {"IN": ["our", "my", "his", "her", "this", "that"]}},
            {"IS_ALPHA": True, "OP": "{0,2}"},
            {"NORM": {"IN": ["phone", "handset", "deskphone"]}},
            {"NORM": {"IN": ["at", "by", "in", "on", "near", "next", "beside", "behind"]}},
        ],
        [{"NORM": "ext"}, {"ORTH": ".", "OP": "?"}, {"LIKE_NUM": True}],
    ],
    "widespread": [
        # "several of our customers", "multiple client sites", "all 30 tenants", "other customers"
        [
            {"NORM": {"IN": CUSTOMER_QUANTIFIERS}},
            {"NORM": {"IN": ["of", "our", "the", "your", "my"]}, "OP": "{0,2}"},
            {"LIKE_NUM": True, "OP": "?"},
            {"IS_ALPHA": True, "NORM": {"NOT_IN": ["users", "staff", "our"]}, "OP": "?"},
            {"NORM": {"IN": CUSTOMER_NOUNS}},
        ],
        [
            {"LIKE_NUM": True, "NORM": {"NOT_IN": ["one", "1", "a"]}},
            {"NORM": {"IN": CUSTOMER_NOUNS}},
        ],
        # "those customers' sites are down", "these clients"
        [{"NORM": {"IN": ["those", "these"]}}, {"NORM": {"IN": CUSTOMER_NOUNS}}],
        # "my buddy at Sunrise, who's also with you", "our neighbour firm, also your client":
        # another customer of the provider is hit
        [
            {"NORM": "also"},
            {"NORM": {"IN": ["with", "a", "an", "one"]}, "OP": "?"},
            {"NORM": {"IN": ["client", "customer", "clients", "customers"]}, "OP": "?"},
            {"NORM": {"IN": ["of", "with"]}, "OP": "?"},
            {"NORM": {"IN": ["you", "your", "yours"]}},
        ],
        # "the other districts that you guys manage", "the offices you host"
        # (other organisations, not "the firewall you manage" or "our sites you host")
        [
            {"NORM": {"IN": ORGANISATIONS}},
            {"IS_ALPHA": True, "OP": "{0,4}"},
            {"NORM": "you"},
            {"NORM": {"IN": ["guys", "folks", "all", "also"]}, "OP": "?"},
            {"NORM": {"IN": ["manage", "host", "support", "serve", "run", "look"]}},
        ],
        # the provider's own infrastructure: "your data center had a fire", "your cloud"
        [
            {"NORM": {"IN": ["your", "ur"]}},
            {"NORM": {"IN": ["whole", "entire", "own", "main"]}, "OP": "?"},
            {"NORM": {"IN": ["data", "datacenter", "datacentre", "cloud", "infrastructure"]}},
        ],
        [
            {"NORM": {"IN": ["your", "ur"]}},
            {"NORM": {"IN": ["whole", "entire"]}},
            {"IS_ALPHA": True},
        ],
        # other organisations say they are hit too: "our partners say their users are affected
        # too", "the other firms report the same"
        [
            {
                "NORM": {
                    "IN": [
                        "partners",
                        "neighbours",
                        "neighbors",
                        "companies",
                        "firms",
                        "businesses",
                        "practices",
                        "others",
                    ]
                }
            },
            {
                "NORM": {
                    "IN": [
                        "say",
                        "says",
                        "said",
                        "report",
                        "reports",
                        "reported",
                        "confirm",
                        "confirmed",
                        "see",
                        "have",
                    ]
                }
            },
            {
                "IS_ALPHA": True,
                "NORM": {"NOT_IN": ["not", "no", "never", "fine", "ok"]},
                "OP": "{0,4}",
            },
            {"NORM": {"IN": ["affected", "too", "also", "same", "hit"]}},
        ],
        # a count of the provider's customers hit: "80+ client sites", "96 of 104 hosted
        # tenants", "about 40 customer networks" (not "1 client")
        [
            {"LIKE_NUM": True, "NORM": {"NOT_IN": ["one", "1", "a", "0", "zero"]}},
            {"NORM": {"IN": ["+", "of"]}, "OP": "?"},
            {"LIKE_NUM": True, "OP": "?"},
            {
                "NORM": {"IN": ["hosted", "managed", "our", "your", "affected", "different"]},
                "OP": "?",
            },
            {"NORM": {"IN": ["client", "customer", "tenant", "clients", "customers", "tenants"]}},
            {
                "NORM": {"IN": ["sites", "offices", "networks", "environments", "domains"]},
                "OP": "?",
            },
        ],
        # a hoster's many environments: "~140 production containers", "about 300 envs"
        [
            {"LIKE_NUM": True, "NORM": {"REGEX": r"^[1-9](\d{1,}|\d{0,2}(,\d{3})+)$"}},
            {"NORM": {"IN": ["production", "prod", "customer", "user"]}, "OP": "?"},
            {"NORM": {"IN": ["envs", "environments", "containers"]}},
        ],
    ],
    "majority": [
        # "70% of our customers", "80 percent of traffic": most of the service (a share of
        # something; "CPU at 100%" is a reading, not a breadth)
        [
            {"LIKE_NUM": True, "NORM": {"REGEX": MAJORITY_SHARE}},
            {"NORM": {"IN": ["%", "percent"]}},
            {"NORM": "of"},
        ],
    ],
    "isolated": [
        # "existing containers run fine", "older Android versions fine", "other phones work",
        # "outbound ok", "UDP/TCP phones register fine", "sending works"
        [
            {"NORM": {"IN": PARTS}},
            # (not "other cloud services work", "other websites load fine": what works is
            # outside the provider's service, which says nothing about how much of it is down)
            {"NORM": {"NOT_IN": ["than", *ELSEWHERE, *NOT_BETWEEN]}, "OP": "{0,3}"},
            {"NORM": {"IN": WORKS}},
        ],
    ],
    "device": [
        # "our fax line", "the warehouse cordless phone", "the meeting room speaker": kept as
        # `one` only after "the", "our", "my"... (not "every outbound fax", "fax delivery")
        [{"NORM": {"IN": DEVICES}}, {"NORM": {"NOT_IN": NOT_A_DEVICE}}],
    ],
    "core": [
        # "SMS is our main product", "inbound is our whole business"
        [
            {"NORM": {"IN": ["main", "core", "primary", "only", "whole", "entire", "key"]}},
            {
                "NORM": {
                    "IN": [
                        "product",
                        "business",
                        "service",
                        "revenue",
                        "channel",
                        "function",
                        "use",
                        "income",
                        "offering",
                    ]
                }
            },
        ],
    ],
    "alternative": [
        # "manual scaling works", "the API works": another way in works
        [
            {"NORM": {"IN": ALTERNATIVES}},
            {"IS_ALPHA": True, "NORM": {"NOT_IN": NOT_BETWEEN}, "OP": "{0,3}"},
            {"NORM": {"IN": WORKS}},
        ],
        # "deploy via URL instead", "manage users via the API for now"
        [
            {"NORM": {"IN": ["via", "using", "through"]}},
            {"NORM": {"NOT_IN": NOT_BETWEEN}, "OP": "{1,3}"},
            {"NORM": {"IN": ["instead", "meanwhile"]}},
        ],
        [
            {"NORM": {"IN": ["via", "using", "through"]}},
            {"NORM": {"NOT_IN": NOT_BETWEEN}, "OP": "{1,3}"},
            {"NORM": "for"},
            {"NORM": "now"},
        ],
        [{"NORM": "as"}, {"NORM": {"IN": ["a", "the"]}, "OP": "?"}, {"NORM": "workaround"}],
    ],
    "unaffected": [
        # "calls work normally", "the app is up", "our stuff seems to be working": the service
        # itself works for its users (not "phones show registered": registered phones that
        # cannot call are the classic outage)
        [
            {"NORM": {"IN": SERVICE_ITSELF}},
            {"IS_ALPHA": True, "NORM": {"NOT_IN": NOT_BETWEEN}, "OP": "{0,3}"},
            {"NORM": {"IN": ["normally", "unaffected", "untouched", "unimpacted"]}},
        ],
        [
            {"NORM": {"IN": SERVICE_ITSELF}},
            {"NORM": {"IN": ["work", "works", "working", "connect", "connects"]}},
            {"NORM": {"IN": ["fine", "normally", "ok", "okay", "properly"]}},
        ],
        [
            {"NORM": {"IN": SERVICE_ITSELF}},
            {"NORM": {"IN": ["themselves", "itself"]}, "OP": "?"},
            {"NORM": {"IN": ["is", "are", "seems", "seem", "look", "looks", "remain", "remains"]}},
            {"NORM": {"IN": ["to", "be", "still", "all"]}, "OP": "{0,2}"},
            {"NORM": {"IN": ["up", "working", "fine", "ok", "okay", "unaffected", "normal"]}},
        ],
        [
            {"NORM": {"IN": ["users", "customers", "subscribers", "callers"]}},
            {"NORM": {"IN": ["are", "were"]}, "OP": "?"},
            {"NORM": {"IN": ["unaffected", "fine"]}},
        ],
        # "Everything works after that", "everything else is fine"
        [
            {"NORM": "everything"},
            {"NORM": "else", "OP": "?"},
            {"NORM": {"IN": ["is", "seems"]}, "OP": "?"},
            {"NORM": {"IN": ["works", "working", "fine", "ok", "okay", "normal"]}},
        ],
    ],
    "ongoing": [
        # "since 09:12", "since 9:30 this morning": started at a time and not said to be over
        [{"NORM": "since"}, {"NORM": {"REGEX": r"^\d{1,2}([:.h]\d\d)?(am|pm)?$"}}],
    ],
    "production_ok": [
        # "production still on 8.2 and fine", "prod running fine": production is unaffected
        # (but "Production: calls connect fine" says which system, not that it is spared)
        [
            {"NORM": {"IN": ["production", "prod"]}},
            {
                "NORM": {
                    "NOT_IN": ["down", "calls", "call", ".", "!", "other", "others", *NOT_BETWEEN]
                },
                "OP": "{1,8}",
            },
            {"NORM": {"IN": ["fine", "unaffected", "ok", "okay", "untouched", "healthy"]}},
        ],
        # "Production is a separate cluster and is not affected", "Production (prod-rc1..4) is
        # running on the previous build and is perfectly fine": said of production, in a
        # longer sentence (brackets allowed, nothing that turns it: "not", "but", "down")
        [
            {"NORM": {"IN": ["production", "prod"]}},
            {"NORM": {"NOT_IN": ["down", "calls", "call", *SPARED_NOT_BETWEEN]}, "OP": "{1,8}"},
            {"NORM": {"IN": ["is", "are", "remains", "stays"]}},
            {"NORM": "not"},
            {"NORM": {"IN": ["affected", "impacted", "involved", "touched"]}},
        ],
        [
            {"NORM": {"IN": ["production", "prod"]}},
            {"NORM": {"NOT_IN": ["down", "calls", "call", *SPARED_NOT_BETWEEN]}, "OP": "{1,8}"},
            {"NORM": {"IN": ["is", "are", "remains", "stays"]}},
            {"NORM": {"IN": ["perfectly", "completely", "totally", "still"]}, "OP": "?"},
            {"NORM": {"IN": ["fine", "unaffected", "healthy", "stable", "ok", "okay"]}},
        ],
        # "Production runs the supported JDK 8 build and has no problems"
        [
            {"NORM": {"IN": ["production", "prod"]}},
            {"NORM": {"NOT_IN": ["down", "calls", "call", ".", "!", *NOT_BETWEEN]}, "OP": "{1,8}"},
            {"NORM": {"IN": ["has", "have", "had", "shows", "sees"]}},
            {"NORM": "no"},
            {"NORM": {"IN": ["problems", "problem", "issues", "issue", "errors", "impact"]}},
        ],
        # "production is okay", "prod seems fine", "live is not affected"
        [
            {"NORM": {"IN": ["production", "prod", "live"]}},
            {"NORM": {"IN": ["is", "are", "seems", "looks", "remains", "stays"]}},
            {"NORM": {"IN": ["still", "not", "completely", "totally", "perfectly"]}, "OP": "*"},
            {
                "NORM": {
                    "IN": [
                        "fine",
                        "ok",
                        "okay",
                        "unaffected",
                        "working",
                        "good",
                        "normal",
                        "up",
                        "untouched",
                        "affected",
                        "impacted",
                        "involved",
                        "healthy",
                    ]
                }
            },
        ],
    ],
    "nonproduction": [
        [
            {"NORM": {"IN": ["in", "on", "our"]}},
            {"NORM": {"IN": ["test", "testing", "qa", "dev", "staging"]}},
        ],
    ],
}

PATTERNS["some"] += [
    # "only our Denver office", "only the warehouse": one part of the customer's sites
    [
        {"NORM": {"IN": ["only", "just"]}},
        {"NORM": {"IN": ["our", "the", "one"]}},
        {"IS_ALPHA": True, "NORM": {"NOT_IN": NOT_BETWEEN}, "OP": "{0,2}"},
        {"NORM": {"IN": SITES}},
    ],
]
PATTERNS["isolated"] += [
    # "our Boise and Salt Lake City offices are working normally": the other sites work
    [
        {"NORM": {"IN": [site + "s" for site in SITES] + ["branches"]}},
        {"NORM": {"IN": ["are", "were", "seem"]}},
        {"NORM": {"IN": ["still", "all", "to", "be"]}, "OP": "{0,2}"},
        {"NORM": {"IN": ["working", "fine", "ok", "okay", "unaffected", "normal", "up"]}},
    ],
]
PATTERNS["others_fine"] = [
    # "another of your clients, they're fine", "my friend at another company using you says
    # hers is fine", "other customers are ok"
    [
        {"NORM": {"IN": ["they", "hers", "his", "theirs", "others", "customers", "clients"]}},
        {"NORM": {"IN": ["is", "are", "be", "seem", "seems"]}},
        {"NORM": {"IN": ["all", "totally", "completely", "perfectly", "working"]}, "OP": "?"},
        {"NORM": {"IN": ["fine", "ok", "okay", "unaffected", "normal"]}},
    ],
]
PATTERNS["out_of_scope"] = [
    # "our carrier Telia had an outage this morning", "the ISP has a fault on the line": the
    # fault named as the other party's own
    [
        {"NORM": {"IN": SOURCES}},
        {"IS_ALPHA": True, "NORM": {"NOT_IN": ["not", "no", "never"]}, "OP": "{0,2}"},
        {"NORM": {"IN": ["had", "has", "have", "having"]}},
        {"NORM": {"IN": ["a", "an", "some", "their", "its", "major", "big"]}, "OP": "{0,2}"},
        {"NORM": {"IN": SOURCE_FAULTS}},
    ],
    # "provider says their registrar had an outage", "the carrier confirmed a fault": the
    # fault is on someone else's side
    # ("carrier says their side is fine" is the opposite: the fault word is required)
    [
        {"NORM": {"IN": SOURCES}},
        {"IS_ALPHA": True, "NORM": {"NOT_IN": ["not", "no"]}, "OP": "{0,2}"},
        {"NORM": {"IN": SAYS}},
        {"IS_ALPHA": True, "NORM": {"NOT_IN": ["fine", "ok", "okay", "not", "no"]}, "OP": "{0,4}"},
        {"NORM": {"IN": SOURCE_FAULTS}},
    ],
]
PATTERNS["regression"] = [
    # "worked for months before", "was working fine until Friday"
    [
        {"NORM": {"IN": ["worked", "working", "fine"]}},
        {"IS_ALPHA": True, "OP": "{0,3}"},
        {"NORM": {"IN": ["before", "until", "previously", "till"]}},
    ],
    [{"NORM": "worked"}, {"NORM": "for"}, {"NORM": {"IN": ["months", "years", "weeks", "ages"]}}],
]

# How reasons name each signal, e.g. "'no dial tone' (outage)".
LABELS: dict[str, str] = {
    "production": "production",
    "nonproduction": "non-production",
    "all": "affects everyone",
    "some": "affects some",
    "one": "affects one user",
    "outage": "outage",
    "degraded": "degraded service",
    "minor": "minor impact",
    "trivial": "no urgency or cosmetic",
    "question": "question",
    "request": "request",
    "scheduled": "scheduled work",
    "fault": "fault",
    "account": "account",
    "setup": "setup or configuration",
    "portal": "web interface",
    "workaround": "workaround",
    "no_workaround": "no workaround",
    "dotnet": ".NET / MS-SQL",
    "regression": "worked before",
    "resolved": "already resolved",
    "monitoring": "kept open for monitoring",
    "rfo": "asks for the reason for an outage that is over",
    "ongoing": "happening now",
    "unaffected": "the service itself works",
    "widespread": "affects many customers",
    "newinstall": "new install, not yet in service",
    "out_of_scope": "outside the support scope",
    "enhancement": "feature, enhancement or upgrade request",
    "escalated": "got worse since the thread began",
    "one_way": "one-way audio",
    "hosted_developer": "a hoster's developer writing to the platform vendor",
    "call_feature": "a call-handling feature",
}

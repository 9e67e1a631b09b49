"""Cases for `uvmapi --help`, init, submit and status."""

import os
import stat

from clitest import check, files_in, message, tree

CASES = {}


def case(name):
    def register(function):
        CASES[name] = function
        return function
    return register


# --- Help and the command line ---------------------------------------------------

OPTIONS = {
    "init": ["DIR", "--shared-root", "--address", "--help", "Exit codes"],
    "submit": ["DIR", "FILE", "--from", "--to", "--help", "Exit codes"],
    "status": ["DIR", "--json", "--help", "Exit codes"],
    "run": ["DIR", "--address", "--shared-root", "--logoff", "--deadline", "--scan-interval",
            "--create-mailboxes", "no-wait", "orderly", "purge", "abort", "quiet", "--help",
            "Exit codes", "--smtp ", "--smtp-tls", "--smtp-ca", "--smtp-no-verify",
            "--smtp-user", "--smtp-password-file", "UVMAPI_SMTP_PASSWORD",
            "--smtp-allow-plaintext-auth", "--smtp-connections", "--smtp-helo"],
}


@case("help")
def help_main(t):
    out = t.ok("--help")
    for command in OPTIONS:
        check(f"  {command} " in out, f"--help does not list '{command}':\n{out}")
    check("uvmapi <command> --help" in out, "--help does not point at the commands' help")
    t.fails(2, stderr_has="missing command")
    t.fails(2, "frobnicate", stderr_has="unknown command 'frobnicate'")
    t.fails(2, "--frobnicate", stderr_has="unknown option")
    check(t.ok("--version").startswith("uvmapi "), "--version")


def help_of(command):
    def run(t):
        out = t.ok(command, "--help")
        check(out.startswith(f"Usage: uvmapi {command} "), f"{command} --help: {out!r}")
        for word in OPTIONS[command]:
            check(word in out, f"'{command} --help' does not document {word}:\n{out}")
        check(t.ok(command, "-h") == out, f"{command} -h differs from --help")
        check(t.ok("help", command) == out, f"'help {command}' differs from '{command} --help'")
        # Help wins even over a mistake on the same line.
        check(t.ok(command, "--bogus", "--help") == out, f"{command} --bogus --help")
        t.fails(2, command, "--bogus", stderr_has="unknown option '--bogus'")
    return run


for _command in OPTIONS:
    CASES[f"help_{_command}"] = help_of(_command)


# --- init ------------------------------------------------------------------------------

@case("init_new")
def init_new(t):
    store = t.path("a")
    out = t.ok("init", store)
    check("created" in out, f"init says {out!r}")
    for folder in ("Inbox", "Outbox", "Sent"):
        for sub in ("tmp", "new", "cur"):
            path = os.path.join(store, folder, sub)
            check(os.path.isdir(path), f"{path} missing")
    mode = stat.S_IMODE(os.stat(store).st_mode)
    check(mode == 0o700, f"the store is mode {oct(mode)}, not 0700")
    check(t.counts(store) == (0, 0, 0), "a new store is not empty")
    # With a mailbox under a shared root.
    out = t.ok("init", t.path("b"), "--shared-root", t.path("shared"), "--address", "Bob")
    check(os.path.isdir(t.path("shared", "bob", "new")), "init made no mailbox for Bob")
    check("mailbox" in out, f"init does not mention the mailbox: {out!r}")


@case("init_existing")
def init_existing(t):
    store = t.init("a")
    t.submit(store, "alice", ["bob"], message("kept"))
    before = tree(store)
    out = t.ok("init", store)
    check("already" in out, f"init of an existing store says {out!r}")
    check(tree(store) == before, "init of an existing store changed it")
    check(t.counts(store) == (0, 1, 0), "init of an existing store lost its message")


@case("init_unwritable")
def init_unwritable(t):
    # Root may write anywhere: it gets a place no one can write instead.
    if os.geteuid() == 0 and os.path.isdir("/sys"):
        target = "/sys/uvmapi-cli-test-store"
    else:
        locked = t.path("locked")
        os.mkdir(locked, 0o500)
        target = os.path.join(locked, "store")
    t.fails(1, "init", target)
    check(not os.path.exists(target), f"{target} was created")
    # A parent that is a file, and one that does not exist.
    with open(t.path("file"), "w") as f:
        f.write("x")
    t.fails(1, "init", t.path("file", "store"), stderr_has="parent")
    t.fails(1, "init", t.path("missing", "store"), stderr_has="parent")
    check(not os.path.exists(t.path("missing")), "init created a missing parent")
    t.fails(1, "init", t.path("file"), stderr_has="not a directory")
    # A directory with other things in it is not taken over.
    os.mkdir(t.path("busy"))
    with open(t.path("busy", "notes.txt"), "w") as f:
        f.write("mine")
    t.fails(1, "init", t.path("busy"), stderr_has="not empty")
    check(files_in(t.path("busy")) == ["notes.txt"], "init touched a foreign directory")


@case("init_usage")
def init_usage(t):
    t.fails(2, "init", stderr_has="missing DIR")
    t.fails(2, "init", t.path("a"), t.path("b"), stderr_has="unexpected argument")
    t.fails(2, "init", t.path("a"), "--address", "bob", stderr_has="--shared-root")
    t.fails(2, "init", t.path("a"), "--shared-root", t.path("s"), stderr_has="--address")
    t.fails(2, "init", t.path("a"), "--shared-root", t.path("s"), "--address", "a b",
            stderr_has="not a usable address")
    t.fails(2, "init", t.path("a"), "--address", stderr_has="needs a value")
    check(not os.path.exists(t.path("a")), "a failed init created the store")
    check(not os.path.exists(t.path("s")), "a failed init created the shared root")


# --- submit ----------------------------------------------------------------------------

def outbox_files(store):
    return files_in(os.path.join(store, "Outbox", "new"))


@case("submit_file")
def submit_file(t):
    store = t.init("a")
    content = b"From: alice\r\nTo: bob\r\nSubject: a long\r\n  folded subject\r\n\r\nBody\r\n"
    with open(t.path("m.eml"), "wb") as f:
        f.write(content)
    out = t.ok("submit", store, "--from", "alice", "--to", "bob", t.path("m.eml"))
    check("queued" in out, f"submit says {out!r}")
    check(t.counts(store) == (0, 1, 0), "the message is not in the Outbox")
    names = outbox_files(store)
    check(len(names) == 1, f"Outbox/new holds {names}")
    with open(os.path.join(store, "Outbox", "new", names[0]), "rb") as f:
        check(f.read() == content, "the stored message differs from the file")
    with open(os.path.join(store, "Outbox", "envelopes", names[0])) as f:
        envelope = f.read()
    check("from alice" in envelope and "to bob" in envelope, f"envelope: {envelope!r}")


@case("submit_stdin")
def submit_stdin(t):
    store = t.init("a")
    content = message("from stdin")
    t.ok("submit", store, "--from", "alice", "--to", "bob", "--to", "carol", "--to", "bob",
         stdin=content)
    t.ok("submit", store, "--from", "alice", "--to=dave", "-", stdin=message("dash"))
    check(t.counts(store) == (0, 2, 0), "stdin submissions are not both queued")
    envelopes = []
    for name in outbox_files(store):
        with open(os.path.join(store, "Outbox", "envelopes", name)) as f:
            envelopes.append(f.read())
    check(any("to bob\nto carol\n" in e and e.count("to bob") == 1 for e in envelopes),
          f"recipients not kept once each, in order: {envelopes}")


@case("submit_missing_store")
def submit_missing_store(t):
    t.fails(1, "submit", t.path("nowhere"), "--from", "a", "--to", "b", stdin=message("x"),
            stderr_has="uvmapi init")
    check(not os.path.exists(t.path("nowhere")), "submit created a store")
    os.mkdir(t.path("plain"))
    t.fails(1, "submit", t.path("plain"), "--from", "a", "--to", "b", stdin=message("x"),
            stderr_has="not a uvmapi store")
    check(files_in(t.path("plain")) == [], "submit wrote into a directory that is no store")


BAD_MESSAGES = {
    "empty": (b"", "empty"),
    "binary": (b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)), "bad message"),
    "NUL in body": (b"Subject: x\n\nbody\x00more\n", "NUL"),
    "no header": (b"Hello Bob,\n\nhow are you?\n", "not a header field"),
    "blank first": (b"\nSubject: x\n", "no header fields"),
    "bare CR": (b"Subject: x\rTo: y\n\nbody\n", "carriage return"),
    "continuation first": (b" folded\nSubject: x\n\nbody\n", "continuation"),
}


@case("submit_bad_message")
def submit_bad_message(t):
    store = t.init("a")
    before = tree(store)
    for label, (content, says) in BAD_MESSAGES.items():
        path = t.path("bad.eml")
        with open(path, "wb") as f:
            f.write(content)
        t.fails(1, "submit", store, "--from", "a", "--to", "b", path, stderr_has=says)
        with open(path, "rb") as f:
            check(f.read() == content, f"submit changed the message file ({label})")
        t.fails(1, "submit", store, "--from", "a", "--to", "b", stdin=content, stderr_has=says)
        check(tree(store) == before, f"a refused message ({label}) changed the store")
    t.fails(1, "submit", store, "--from", "a", "--to", "b", t.path("no-such.eml"),
            stderr_has="cannot open")
    check(t.counts(store) == (0, 0, 0), "a refused message was queued")


@case("submit_usage")
def submit_usage(t):
    store = t.init("a")
    with open(t.path("m.eml"), "wb") as f:
        f.write(message("x"))
    before = tree(store)
    t.fails(2, "submit", store, "--from", "a", t.path("m.eml"), stderr_has="missing --to")
    t.fails(2, "submit", store, "--to", "b", t.path("m.eml"), stderr_has="missing --from")
    t.fails(2, "submit", "--from", "a", "--to", "b", stderr_has="missing DIR")
    t.fails(2, "submit", store, "--from", "a", "--to", "b c", t.path("m.eml"),
            stderr_has="not a usable address")
    t.fails(2, "submit", store, "--from", "a", "--from", "c", "--to", "b", t.path("m.eml"),
            stderr_has="more than once")
    t.fails(2, "submit", store, "--from", "a", "--to", "b", t.path("m.eml"), "extra",
            stderr_has="unexpected argument")
    t.fails(2, "submit", store, "--from", "a", "--to", stderr_has="needs a value")
    check(tree(store) == before, "a bad command line changed the store")
    with open(t.path("m.eml"), "rb") as f:
        check(f.read() == message("x"), "a bad command line changed the message file")


# --- status ------------------------------------------------------------------------------

@case("status_text")
def status_text(t):
    store = t.init("a")
    for i in range(3):
        t.submit(store, "alice", ["bob"], message(f"m{i}"))
    out = t.ok("status", store)
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in out.splitlines()}
    check(lines.get("Inbox") == "0", f"Inbox line: {out}")
    check(lines.get("Outbox") == "3", f"Outbox line: {out}")
    check(lines.get("Sent Items") == "0", f"Sent Items line: {out}")
    check(lines.get("queue", "").startswith("3 messages"), f"queue line: {out}")
    check(lines.get("spooler") == "not running", f"spooler line: {out}")


@case("status_json")
def status_json(t):
    store = t.init("a")
    status = t.status(store)
    check(status == {"store": store, "folders": {"Inbox": 0, "Outbox": 0, "Sent Items": 0},
                     "queue": 0, "spooler_running": False, "opened_elsewhere": False},
          f"status of a new store: {status}")
    t.submit(store, "alice", ["bob"], message("one"))
    t.submit(store, "alice", ["bob", "carol"], message("two"))
    status = t.status(store)
    check(status["folders"]["Outbox"] == 2 and status["queue"] == 2, f"after submits: {status}")


@case("status_errors")
def status_errors(t):
    t.fails(1, "status", t.path("nowhere"), stderr_has="uvmapi init")
    t.fails(1, "status", t.path("nowhere"), "--json", stderr_has="no store")
    check(not os.path.exists(t.path("nowhere")), "status created a store")
    t.fails(2, "status", stderr_has="missing DIR")
    t.fails(2, "status", t.path("x"), "--json=yes", stderr_has="takes no value")
    t.fails(2, "status", t.path("x"), "--verbose", stderr_has="unknown option")


"""Cases for `uvmapi run --smtp`: the options and their refusals, a PURGE
that delivers the whole queued Outbox to smtp-sink, a server that is down,
the password from a file or the environment (and never from the command
line), and SMTP next to the shared directory."""

import base64
import signal

from clitest import check, message, tree, wait_for
from smtp_sink import SmtpSink, refusing_port

CASES = {}
PASSWORD = "Pa55-w0rd"  # Must never appear in anything the tool prints.
NO_ENV_PASSWORD = {"UVMAPI_SMTP_PASSWORD": ""}  # Empty counts as unset.


def case(name):
    def register(function):
        CASES[name] = function
        return function
    return register


def queue(t, store, count, prefix):
    for i in range(count):
        t.submit(store, "alice@example.test", ["bob@example.test"],
                 message(f"{prefix} {i}", sender="alice@example.test", to="bob@example.test"))


def no_password(text, where):
    check(PASSWORD not in text and "Pa55" not in text, f"{where} shows the password:\n{text}")


def auth_plain(user, password):
    """What AUTH PLAIN sends for user and password (RFC 4616)."""
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


@case("run_smtp_usage")
def run_smtp_usage(t):
    store = t.init("a")
    empty = t.path("empty-password")
    open(empty, "w").close()
    with open(t.path("password"), "w") as f:
        f.write(PASSWORD + "\n")
    before = tree(t.dir)
    base = ["run", store, "--smtp", "smtp://127.0.0.1:2525"]
    plain = [*base, "--smtp-tls", "none"]

    t.fails(2, "run", store, "--smtp", "http://mail.example.test", stderr_has="--smtp")
    t.fails(2, "run", store, "--smtp", "smtp://", stderr_has="host")
    t.fails(2, *base, "--smtp-tls", "sometimes", stderr_has="unknown mode")
    t.fails(2, *base, "--smtp-connections", "0", stderr_has="--smtp-connections")
    t.fails(2, *base, "--smtp-helo", "not a host!", stderr_has="EHLO")
    t.fails(2, *plain, "--smtp-ca", t.path("ca.pem"), stderr_has="no use without TLS")
    t.fails(2, *plain, "--smtp-no-verify", stderr_has="no use without TLS")
    t.fails(2, "run", store, "--smtp-tls", "none", stderr_has="needs --smtp")
    t.fails(2, "run", store, "--address", "alice", "--shared-root", t.path("shared"),
            "--smtp-user", "alice", stderr_has="needs --smtp")
    t.fails(2, *plain, "--address", "alice", stderr_has="missing --shared-root")
    t.fails(2, *plain, "--create-mailboxes", stderr_has="needs the shared directory")
    t.fails(2, *plain, "--smtp-password-file", t.path("password"), stderr_has="needs a user")
    t.fails(2, "run", store, "--smtp", "smtp://alice@127.0.0.1:2525", env=NO_ENV_PASSWORD,
            stderr_has="needs a password")
    t.fails(2, "run", store, "--smtp", "smtp://alice@127.0.0.1:2525", "--smtp-tls", "none",
            env={"UVMAPI_SMTP_PASSWORD": PASSWORD}, stderr_has="plain text")

    # A password is never taken from the command line, and never repeated.
    for args in (["--smtp", f"smtp://alice:{PASSWORD}@127.0.0.1:2525"],
                 ["--smtp", f"smtp://alice:{PASSWORD}@127.0.0.1:2525/path"],
                 ["--smtp", "smtp://alice@127.0.0.1:2525", "--smtp-password", PASSWORD],
                 ["--smtp", "smtp://alice@127.0.0.1:2525", f"--smtp-password={PASSWORD}"]):
        err = t.fails(2, "run", store, *args, stderr_has="password")
        no_password(err, f"run {' '.join(args)}")

    # Files that cannot be used: exit 1, naming the file.
    missing = t.path("no-such-password")
    err = t.fails(1, "run", store, "--smtp", "smtp://alice@127.0.0.1:2525",
                  "--smtp-password-file", missing, stderr_has="password file")
    check(missing in err and "No such file" in err, f"the missing file is not named: {err!r}")
    t.fails(1, "run", store, "--smtp", "smtp://alice@127.0.0.1:2525",
            "--smtp-password-file", empty, stderr_has="is empty")
    t.fails(1, *base, "--smtp-ca", t.path("no-such-ca.pem"), stderr_has="no-such-ca.pem")
    t.fails(1, "run", t.path("nowhere"), "--smtp", "smtp://127.0.0.1:2525", "--smtp-tls", "none",
            stderr_has="uvmapi init")
    check(tree(t.dir) == before, "a refused run changed something")


@case("run_smtp_purge_delivers")
def run_smtp_purge_delivers(t):
    sink = SmtpSink(t)
    a = t.init("a")
    queue(t, a, 3, "smtp purge")
    check(t.counts(a) == (0, 3, 0), f"not queued: {t.counts(a)}")
    run = t.start_smtp_run(a, sink.url, "--logoff", "purge", "--smtp-helo", "cli.example.test")
    run.wait_running()
    run.signal(signal.SIGTERM)  # PURGE sends whatever is still queued.
    code = run.wait_exit()
    out = run.output()
    check(code == 0, f"run exited {code}:\n{out}")
    check("logging off with PURGE" in out and "every message accounted for" in out, out)
    check("smtp: sent 3" in out, f"the SMTP counters do not say 3 sent:\n{out}")
    check(f"smtp 127.0.0.1:{sink.port} (plain text)" in out, f"running line:\n{out}")
    dumps = sink.wait_for(3)
    check(len(dumps) == 3, f"smtp-sink took {len(dumps)} messages")
    for i in range(3):
        subject = f"Subject: smtp purge {i}"
        check(sum(subject in d for d in dumps) == 1, f"{subject!r} not dumped once:\n{dumps}")
    check(all("X-Helo-Args: cli.example.test" in d for d in dumps), "--smtp-helo not used")
    check(all("X-Rcpt-Args: <bob@example.test>" in d for d in dumps), "wrong recipient")
    status = t.status(a)
    check(status["folders"] == {"Inbox": 0, "Outbox": 0, "Sent Items": 3} and status["queue"] == 0,
          f"after the run: {status}")


@case("run_smtp_server_down")
def run_smtp_server_down(t):
    holder = refusing_port()
    t.closers.append(holder.close)
    url = f"smtp://127.0.0.1:{holder.getsockname()[1]}"
    a = t.init("a")
    queue(t, a, 2, "undeliverable")

    run = t.start_smtp_run(a, url, "--logoff", "purge")
    run.wait_output("smtp problem:")  # Said while it runs, not only at the end.
    run.signal(signal.SIGTERM)
    code = run.wait_exit()
    out = run.output()
    check(code == 3, f"PURGE with the server down exited {code}, expected 3:\n{out}")
    check("2 messages could not be sent" in out, f"the unsent messages are not reported:\n{out}")
    check("not everything was sent" in out, f"no verdict:\n{out}")
    check("connection refused" in out, f"the reason is not given:\n{out}")
    check(t.counts(a) == (0, 2, 0), f"the queue did not stay: {t.counts(a)}")

    # ORDERLY leaves the queue by design: that is success, as with the shared directory.
    run = t.start_smtp_run(a, url, "--logoff", "orderly")
    run.wait_running()
    run.signal(signal.SIGTERM)
    code = run.wait_exit()
    out = run.output()
    check(code == 0, f"ORDERLY exited {code}:\n{out}")
    check("2 messages left queued in the Outbox" in out, f"the queue is not reported:\n{out}")
    check(t.status(a)["queue"] == 2, f"the queue changed: {t.status(a)}")


@case("run_smtp_password")
def run_smtp_password(t):
    # smtp-sink offers AUTH but answers it with 250 rather than 235, so the
    # transport refuses the session: this case proves where the password
    # comes from (what reached the server) and that it is never printed,
    # not that authentication succeeds, which needs TLS and the core's tests.
    sink = SmtpSink(t, verbose=True)
    a = t.init("a")
    queue(t, a, 1, "authenticated")
    password_file = t.path("password")
    with open(password_file, "w") as f:
        f.write(PASSWORD + "\n")
    url = f"smtp://alice@127.0.0.1:{sink.port}"
    for source, extra, env, expected in (
            ("file", ["--smtp-password-file", password_file], NO_ENV_PASSWORD, PASSWORD),
            ("environment", [], {"UVMAPI_SMTP_PASSWORD": "env-" + PASSWORD}, "env-" + PASSWORD),
            ("file over environment", ["--smtp-password-file", password_file],
             {"UVMAPI_SMTP_PASSWORD": "env-" + PASSWORD}, PASSWORD)):
        run = t.start_run(a, None, "--smtp", url, "--smtp-tls", "none",
                          "--smtp-allow-plaintext-auth", "--logoff", "purge", *extra, env=env)
        run.wait_running()
        wire = auth_plain("alice", expected)
        wait_for(lambda: wire in sink.log(), 20, f"AUTH with the password from the {source}")
        run.signal(signal.SIGTERM)
        code = run.wait_exit()
        out = run.output()
        no_password(out, f"run with the password from the {source}")
        check("user alice" in out, f"the user is not shown:\n{out}")
        sent = t.counts(a)[2]
        check((code, sent) in ((3, 0), (0, 1)), f"exit {code} with {sent} sent:\n{out}")
        if code == 3:
            check("authentication as alice failed" in out, f"no reason:\n{out}")


@case("run_smtp_and_shared_dir")
def run_smtp_and_shared_dir(t):
    sink = SmtpSink(t)
    a = t.init("a", address="alice")
    b = t.init("b", address="bob")
    t.submit(a, "alice@example.test", ["carol@example.test"],
             message("by smtp", sender="alice@example.test", to="carol@example.test"))
    t.submit(b, "bob", ["alice"], message("by the shared directory", sender="bob", to="alice"))
    run_a = t.start_run(a, "alice", "--smtp", sink.url, "--smtp-tls", "none")
    run_b = t.start_run(b, "bob")
    run_a.wait_running()
    check("address alice" in run_a.output() and "smtp 127.0.0.1" in run_a.output(),
          f"the running line does not name both transports:\n{run_a.output()}")
    dumps = sink.wait_for(1)
    check(len(dumps) == 1 and "Subject: by smtp" in dumps[0], f"smtp-sink took: {dumps}")
    wait_for(lambda: t.counts(a) == (1, 0, 1), 20, "a's Inbox and Sent Items to hold one each")
    for run in (run_a, run_b):
        run.signal(signal.SIGTERM)
        code = run.wait_exit()
        check(code == 0 and "every message accounted for" in run.output(),
              f"exit {code}:\n{run.output()}")
    check("smtp: sent 1" in run_a.output(), f"a's SMTP counters:\n{run_a.output()}")
    check(len(sink.dumps()) == 1, "the shared-directory message went to the SMTP server too")

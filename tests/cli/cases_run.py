"""Cases for `uvmapi run`: spooling between two stores through a shared
directory, the logoff modes on SIGTERM/SIGINT, the lock, and escalation.

Sends are held in flight with the tool's test hook UVMAPI_TEST_HOLD_SENDS=1
(sends wait after staging until an abort begins), so the logoff meets real
activity without any sleep standing in for it."""

import os
import signal
import time

from clitest import check, files_in, message, tree, wait_for

CASES = {}
HOLD = {"UVMAPI_TEST_HOLD_SENDS": "1"}


def case(name):
    def register(function):
        CASES[name] = function
        return function
    return register


def mailbox(t, address, sub="new"):
    return files_in(t.path("shared", address, sub))


def accounted(run, code, expected=0):
    out = run.output()
    check(code == expected, f"run exited {code}, expected {expected}:\n{out}")
    if expected == 0:
        check("every message accounted for" in out, f"no final verdict:\n{out}")
    return out


def held_run(t, mode, *extra, count=3):
    """Store a with count messages for bob, whose mailbox exists, and a run of
    a whose sends are held in flight once staged in bob's mailbox."""
    a = t.init("a")
    t.init("b", address="bob")
    for i in range(count):
        t.submit(a, "alice", ["bob"], message(f"held {i}"))
    run = t.start_run(a, "alice", "--logoff", mode, *extra, env=HOLD)
    run.wait_running()
    wait_for(lambda: len(mailbox(t, "bob", "tmp")) >= 1, 20, "a send staged in bob's mailbox")
    return a, run


@case("run_usage")
def run_usage(t):
    store = t.init("a")
    root = t.path("shared")
    before = tree(t.dir)
    base = ["run", store, "--address", "alice", "--shared-root", root]
    t.fails(2, "run", store, "--shared-root", root, stderr_has="missing --address")
    t.fails(2, "run", store, "--address", "alice", stderr_has="missing --shared-root")
    t.fails(2, "run", "--address", "alice", "--shared-root", root, stderr_has="missing DIR")
    t.fails(2, *base, "--logoff", "sometimes", stderr_has="unknown mode")
    t.fails(2, *base, "--deadline", "soon", stderr_has="--deadline")
    t.fails(2, *base, "--deadline", "0", stderr_has="--deadline")
    t.fails(2, *base, "--deadline", "-1", stderr_has="--deadline")
    t.fails(2, *base, "--scan-interval", "5", stderr_has="--scan-interval")
    t.fails(2, *base, "--scan-interval", "1.5", stderr_has="--scan-interval")
    t.fails(2, *base, "--create-mailboxes=yes", stderr_has="takes no value")
    t.fails(2, "run", store, "--address", "al ice", "--shared-root", root,
            stderr_has="not a usable address")
    t.fails(1, "run", t.path("nowhere"), "--address", "alice", "--shared-root", root,
            stderr_has="uvmapi init")
    t.fails(1, "run", store, "--address", "alice", "--shared-root", t.path("no", "root"),
            stderr_has="shared root")
    check(tree(t.dir) == before, "a refused run changed something")


@case("run_delivers")
def run_delivers(t):
    a = t.init("a")
    b = t.init("b", address="bob")
    run_a = t.start_run(a, "alice")
    run_a.wait_running()
    content = message("across", body="Across the shared directory.\n")
    t.submit(a, "alice", ["bob"], content)  # added behind the running spooler's back
    wait_for(lambda: len(mailbox(t, "bob")) == 1, 20, "the message in bob's mailbox")
    wait_for(lambda: t.counts(a) == (0, 0, 1), 20, "the message in a's Sent Items")
    check(t.counts(b) == (0, 0, 0), "b received without a run")
    run_b = t.start_run(b, "bob")
    run_b.wait_running()
    wait_for(lambda: t.counts(b)[0] == 1 and not mailbox(t, "bob"), 20,
             "the message in b's Inbox and out of the mailbox")
    inbox = files_in(os.path.join(b, "Inbox", "new")) + files_in(os.path.join(b, "Inbox", "cur"))
    check(len(inbox) == 1, f"b's Inbox: {inbox}")
    with open(os.path.join(b, "Inbox", "new", inbox[0]), "rb") as f:
        check(f.read() == content, "the received message differs from the submitted one")
    for run in (run_a, run_b):
        run.signal(signal.SIGTERM)
        accounted(run, run.wait_exit())
    check("sent 1" in run_a.output() and "received 1" in run_b.output(), "transport counts")


@case("run_orderly_leaves_queue")
def run_orderly_leaves_queue(t):
    a = t.init("a")
    for i in range(2):
        t.submit(a, "alice", ["bob"], message(f"queued {i}"))
    # Bob has no mailbox: the sends fail and the messages wait in the Outbox.
    run = t.start_run(a, "alice")
    run.wait_output("failed sends 2")
    run.signal(signal.SIGTERM)
    out = accounted(run, run.wait_exit())
    check("logging off with ORDERLY" in out, f"not ORDERLY:\n{out}")
    check("2 messages left queued in the Outbox" in out, f"the queue is not reported:\n{out}")
    check(t.counts(a) == (0, 2, 0), f"the queue did not stay: {t.counts(a)}")
    # They really are queued: the next run, able to deliver, sends them.
    t.ok("init", t.path("b"), "--shared-root", t.path("shared"), "--address", "bob")
    run = t.start_run(a, "alice")
    run.wait_running()
    wait_for(lambda: t.counts(a) == (0, 0, 2), 20, "the queue sent by the next run")
    run.signal(signal.SIGTERM)
    accounted(run, run.wait_exit())
    check(len(mailbox(t, "bob")) == 2, "bob's mailbox does not hold both")


@case("run_create_mailboxes")
def run_create_mailboxes(t):
    a = t.init("a")
    t.submit(a, "alice", ["carol"], message("to a new mailbox", to="carol"))
    run = t.start_run(a, "alice", "--create-mailboxes")
    run.wait_running()
    wait_for(lambda: len(mailbox(t, "carol")) == 1, 20, "carol's mailbox made and delivered to")
    wait_for(lambda: t.counts(a) == (0, 0, 1), 20, "the message in Sent Items")
    run.signal(signal.SIGTERM)
    accounted(run, run.wait_exit())


@case("run_purge_delivers")
def run_purge_delivers(t):
    a = t.init("a")
    for i in range(3):
        t.submit(a, "alice", ["bob"], message(f"purged {i}"))
    run = t.start_run(a, "alice", "--logoff", "purge")
    run.wait_output("failed sends 3")
    # Now bob's mailbox exists; only PURGE's flush sends the deferred queue.
    t.ok("init", t.path("b"), "--shared-root", t.path("shared"), "--address", "bob")
    run.signal(signal.SIGTERM)
    out = accounted(run, run.wait_exit())
    check("logging off with PURGE" in out, f"not PURGE:\n{out}")
    check("left queued" not in out, f"PURGE left a queue:\n{out}")
    check(t.counts(a) == (0, 0, 3), f"not every message is in Sent Items: {t.counts(a)}")
    check(len(mailbox(t, "bob")) == 3, "bob's mailbox does not hold all three")


@case("run_no_wait")
def run_no_wait(t):
    a = t.init("a")
    t.init("b", address="bob")
    for i in range(2):
        t.submit(a, "alice", ["bob"], message(f"nw {i}"))
    run = t.start_run(a, "alice", "--logoff", "no-wait")
    run.wait_running()
    wait_for(lambda: len(mailbox(t, "bob")) == 2, 20, "both messages delivered")
    run.signal(signal.SIGTERM)
    out = accounted(run, run.wait_exit())
    check("logging off with NO_WAIT" in out, f"not NO_WAIT:\n{out}")
    check(t.counts(a) == (0, 0, 2), f"counts after NO_WAIT: {t.counts(a)}")


@case("run_sigint")
def run_sigint(t):
    a = t.init("a")
    run = t.start_run(a, "alice")
    run.wait_running()
    run.signal(signal.SIGINT)
    out = accounted(run, run.wait_exit())
    check("SIGINT: logging off with ORDERLY" in out, f"SIGINT not handled:\n{out}")
    check("final: COMPLETE, released" in out, f"an idle store did not log off:\n{out}")


@case("run_locked")
def run_locked(t):
    a = t.init("a")
    first = t.start_run(a, "alice")
    first.wait_running()
    code, out, err = t.tool("run", a, "--address", "alice", "--shared-root", t.path("shared"))
    check(code == 1 and "locked" in err, f"second run: exit {code}, stderr {err!r}")
    check(len(err.strip().splitlines()) == 1, f"more than one line: {err!r}")
    check("running" not in out, f"the second run started: {out!r}")
    check(first.process.poll() is None, "the first run died")
    check(t.status(a)["spooler_running"], "the first run lost the lock")
    first.signal(signal.SIGTERM)
    accounted(first, first.wait_exit())


@case("status_spooler_running")
def status_spooler_running(t):
    a = t.init("a")
    check(not t.status(a)["spooler_running"], "a spooler runs before any run")
    run = t.start_run(a, "alice")
    run.wait_running()
    wait_for(lambda: t.status(a)["spooler_running"], 20, "status to see the spooler")
    status = t.status(a)
    check(status["opened_elsewhere"], f"status does not see the run's opener: {status}")
    check("spooler:     running" in t.ok("status", a), "text status does not say running")
    run.signal(signal.SIGTERM)
    accounted(run, run.wait_exit())
    status = t.status(a)
    check(not status["spooler_running"] and not status["opened_elsewhere"],
          f"after the run: {status}")


@case("run_second_signal_escalates")
def run_second_signal_escalates(t):
    a, run = held_run(t, "orderly", "--deadline", "300")
    run.signal(signal.SIGTERM)
    run.wait_output("draining: activity O")  # ORDERLY waits for the held sends
    run.signal(signal.SIGINT)
    out = accounted(run, run.wait_exit(timeout=30))
    check("second signal: escalating to abort" in out, f"no escalation:\n{out}")
    check("after a second signal" in out, f"final line does not say why:\n{out}")
    check(t.counts(a) == (0, 3, 0), f"cancelled sends are not back in the queue: {t.counts(a)}")
    check(not mailbox(t, "bob") and not mailbox(t, "bob", "tmp"), "a cancelled send left files")


@case("run_deadline_escalates")
def run_deadline_escalates(t):
    a, run = held_run(t, "orderly", "--deadline", "1")
    started = time.monotonic()
    run.signal(signal.SIGTERM)
    out = accounted(run, run.wait_exit(timeout=30))
    check(time.monotonic() - started >= 0.9, "the logoff ended before its deadline")
    check("the drain deadline (1 s) passed" in out, f"no deadline line:\n{out}")
    check("escalated to abort at the deadline" in out, f"final line:\n{out}")
    check(t.counts(a) == (0, 3, 0), f"after the escalation: {t.counts(a)}")


@case("run_abort")
def run_abort(t):
    a, run = held_run(t, "abort")
    run.signal(signal.SIGTERM)
    out = accounted(run, run.wait_exit())
    check("logging off with ABORT" in out and "activity at StoreLogoff: O" in out, out)
    check(t.counts(a) == (0, 3, 0), f"ABORT touched the queue: {t.counts(a)}")
    check(not mailbox(t, "bob") and not mailbox(t, "bob", "tmp"), "an aborted send left files")


@case("run_quiet_busy")
def run_quiet_busy(t):
    a, run = held_run(t, "quiet")
    run.signal(signal.SIGTERM)
    out = accounted(run, run.wait_exit(), expected=1)
    check("quiet does not log off a busy store" in out, f"no reason given:\n{out}")
    check("every message accounted for" not in out, f"claims success:\n{out}")
    inbox, outbox, sent = t.counts(a)
    check(outbox + sent == 3, f"messages lost: Outbox {outbox}, Sent Items {sent}")
    check(len(mailbox(t, "bob")) == sent, "bob's mailbox and Sent Items disagree")
    check(not mailbox(t, "bob", "tmp"), "a send left files in tmp/")

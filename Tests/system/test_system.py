#!/usr/bin/env python3
"""make test-system: the Debian package under a real systemd 252 as PID 1.

    test_system.py --deb edgetm_<version>_amd64.deb

Unpacks a minimal Debian 12 rootfs (debootstrap, cached in .build/rootfs-cache.tar), installs the package into it
with apt-get (its dependencies come from Debian), boots systemd in private pid/mount/net/uts/ipc namespaces as
../shared/PITFALLS.md describes (never on this machine's own root: its tmpfiles service would empty /tmp), and checks
the unit: start, answers, reload, a refused reload, the watchdog, stop and start with saved health, the security
rating, the journal, and purge. Each check prints one line; the exit status is 1 if any failed. Everything started
here is stopped by its pid. Needs root and the network (deb.debian.org).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".build/rootfs-cache.tar"
BOX = ROOT / ".build/system-box"
# Only what the tests add to Debian's minbase: the init system. Everything the package needs, apt-get installs.
DEBOOTSTRAP = ["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus", "bookworm"]
MIRROR = "http://deb.debian.org/debian"
ENDPOINT = ROOT / "scripts/endpoint.py"


class Checks:
    def __init__(self):
        self.failed = []

    def check(self, name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        if not ok:
            self.failed.append(name)
        return ok


def run(command, check=True, **kwargs):
    return subprocess.run(command, check=check, text=True, capture_output=True, **kwargs)


def mounted_under(path):
    """Mount points at or below `path` in this mount namespace: the box's mounts live in its own and must be gone."""
    prefix = str(path)
    with open("/proc/self/mountinfo") as info:
        return [line.split()[4] for line in info if line.split()[4].startswith(prefix)]


def make_rootfs(deb):
    if not CACHE.exists():
        staging = CACHE.with_suffix(".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        run(DEBOOTSTRAP + [str(staging), MIRROR])
        run(["tar", "-C", str(staging), "-cf", str(CACHE), "."])
        shutil.rmtree(staging)
    if mounted_under(BOX):
        sys.exit(f"{BOX} has mounts: a box is still running; stop it first")
    shutil.rmtree(BOX, ignore_errors=True)
    BOX.mkdir(parents=True)
    run(["tar", "-C", str(BOX), "-xf", str(CACHE)])
    # Never through a symlink: it would point at the host's own file.
    (BOX / "etc/resolv.conf").unlink(missing_ok=True)
    shutil.copy("/etc/resolv.conf", BOX / "etc/resolv.conf")
    shutil.copy(deb, BOX / "tmp/edgetm.deb")
    # apt needs /proc; a mount namespace of its own drops the mount when apt is done. No systemd runs in the
    # chroot, so the package's postinst sees no /run/systemd/system, as on a machine being set up.
    script = (
        f"mount -t proc proc {BOX}/proc && chroot {BOX} sh -c "
        "'apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -qy install /tmp/edgetm.deb'"
    )
    return run(["unshare", "--mount", "--fork", "sh", "-c", script], check=False)


class Box:
    """systemd as PID 1 of fresh namespaces, chrooted into BOX."""

    def __init__(self, log):
        boot = BOX.parent / "system-boot.sh"
        boot.write_text(
            "set -e\n"
            "mount --make-rprivate /\n"
            f"mount --bind {BOX} {BOX}\n"
            f"mount -t proc proc {BOX}/proc\n"
            f"mount --rbind /sys {BOX}/sys\n"
            f"mount --rbind /dev {BOX}/dev\n"
            f"mount -t tmpfs tmpfs {BOX}/run\n"
            f"mount -t tmpfs tmpfs {BOX}/tmp\n"
            "ip link set lo up\n"
            f"exec chroot {BOX} env container=other /lib/systemd/systemd --system\n"
        )
        self.unshare = subprocess.Popen(
            ["unshare", "--fork", "--pid", "--mount", "--net", "--uts", "--ipc", "sh", str(boot)],
            stdout=log, stderr=subprocess.STDOUT)
        self.pid = None
        deadline = time.monotonic() + 10
        while self.pid is None and time.monotonic() < deadline:
            children = Path(f"/proc/{self.unshare.pid}/task/{self.unshare.pid}/children")
            pids = children.read_text().split() if children.exists() else []
            if pids and os.readlink(f"/proc/{pids[0]}/exe").endswith("/systemd"):
                self.pid = int(pids[0])
            time.sleep(0.1)
        self.helpers = []

    def sh(self, command, timeout=60):
        """A shell command inside the box: its namespaces, root and working directory."""
        return run(["nsenter", "-t", str(self.pid), "-m", "-p", "-n", "-u", "-i", "-r", "-w", "sh", "-c", command],
                   check=False, timeout=timeout)

    def net(self, command, **kwargs):
        """A host program in the box's network namespace only (the box has no dig, no python)."""
        return subprocess.Popen(["nsenter", "-t", str(self.pid), "-n"] + command, **kwargs)

    def endpoint(self, address, port, *extra):
        process = self.net(["/usr/bin/python3", str(ENDPOINT), "--bind", address, "--port", str(port), *extra],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.helpers.append(process)
        return process

    def dig(self, name, qtype="A", qclass="IN"):
        process = self.net(["dig", "@127.0.0.1", "-c", qclass, name, qtype, "+short", "+tries=1", "+time=2"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return process.communicate(timeout=10)[0].strip()

    def show(self, prop):
        return self.sh(f"systemctl show -p {prop} --value edgetm").stdout.strip()

    def journal(self, since_cursor=None):
        after = f"--after-cursor='{since_cursor}'" if since_cursor else ""
        return self.sh(f"journalctl -u edgetm --no-pager -o cat {after}").stdout

    def cursor(self):
        out = self.sh("journalctl -u edgetm -n 1 --show-cursor --no-pager -q -o cat").stdout
        lines = [line for line in out.splitlines() if line.startswith("-- cursor: ")]
        return lines[-1][len("-- cursor: "):] if lines else None

    def stop(self):
        for process in self.helpers:
            process.kill()
            process.wait()
        # Killing PID 1 of the namespace ends every process in it, and with them its mounts.
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
        self.unshare.kill()
        self.unshare.wait()


def eventually(predicate, within, step=0.25):
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


SERVER = {
    "listen": ["127.0.0.1:53"],
    "zone": {
        "name": "tm.test.",
        "soa": {"mname": "ns1.tm.test.", "rname": "hostmaster.tm.test."},
        "nameservers": ["ns1.tm.test."],
        "addresses": {"ns1.tm.test.": ["127.0.0.1"]},
    },
    "profiles": "profiles",
}


def profile(name, port, interval, timeout, endpoints):
    return {
        "$schema": "file:///usr/share/doc/edgetm/schema/profile.schema.json",
        "name": name,
        "properties": {
            "trafficRoutingMethod": "Priority",
            "dnsConfig": {"relativeName": name, "ttl": 5},
            "monitorConfig": {"protocol": "HTTP", "port": port, "path": "/health", "intervalInSeconds": interval,
                              "timeoutInSeconds": timeout, "toleratedNumberOfFailures": 0},
            "endpoints": [
                {"name": n, "type": "externalEndpoints", "properties": {"target": t, "priority": p}}
                for n, t, p in endpoints
            ],
        },
    }


def app(mec_priority, region_priority):
    return profile("app", 8080, 2, 1, [("mec", "127.0.0.11", mec_priority), ("region", "127.0.0.12", region_priority)])


def write(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deb", required=True)
    args = parser.parse_args()
    deb = Path(args.deb).resolve()
    checks = Checks()

    lintian = run(["lintian", "--no-tag-display-limit", str(deb)], check=False)
    tags = [line for line in lintian.stdout.splitlines() if line[:2] in ("E:", "W:")]
    for line in tags:
        print(f"     {line}")
    checks.check("lintian: no errors", not any(t.startswith("E:") for t in tags), f"{len(tags)} errors and warnings")

    listing = run(["dpkg-deb", "-c", str(deb)]).stdout
    wanted = ["./usr/sbin/edgetm", "./lib/systemd/system/edgetm.service", "./etc/edgetm/edgetm.json",
              "./usr/share/man/man8/edgetm.8.gz", "./usr/share/man/man5/edgetm.json.5.gz",
              "./usr/share/bash-completion/completions/edgetm", "./usr/share/zsh/vendor-completions/_edgetm",
              "./usr/share/fish/vendor_completions.d/edgetm.fish", "./usr/share/doc/edgetm/copyright",
              "./usr/share/doc/edgetm/schema/profile.schema.json", "./usr/share/doc/edgetm/examples/edgetm.json"]
    missing = [path for path in wanted if f" {path}\n" not in listing + "\n"]
    depends = run(["dpkg-deb", "-f", str(deb), "Depends"]).stdout.strip()
    checks.check("the package holds the binary, unit, conffiles, man pages, completions and docs", not missing,
                 f"missing {missing}" if missing else f"Depends: {depends}")

    started = time.monotonic()
    install = make_rootfs(deb)
    if not checks.check("apt-get install ./edgetm.deb in a minimal Debian 12", install.returncode == 0,
                        f"{time.monotonic() - started:.0f} s"):
        print(install.stdout[-3000:], install.stderr[-3000:])
        return 1
    etc = BOX / "etc/edgetm"
    checks.check("the conffiles are the production example", (etc / "profiles/app.json").exists()
                 and "192.0.2.10" in (etc / "profiles/app.json").read_text())
    checks.check("the box has no kill binary", not any((BOX / p).exists() for p in ("bin/kill", "usr/bin/kill")))
    # The test's own configuration replaces the conffiles: port 53 on the box's own loopback.
    shutil.rmtree(etc / "profiles")
    write(etc / "edgetm.json", SERVER)
    write(etc / "profiles/app.json", app(1, 2))
    # A probe that hangs for its whole 3 s timeout: READY, and so `systemctl start`, must wait for it.
    write(etc / "profiles/slow.json", profile("slow", 8081, 5, 3, [("hung", "127.0.0.13", 1)]))

    log = open(BOX.parent / "system-boot.log", "w")
    box = Box(log)
    try:
        return boot_checks(box, checks)
    finally:
        box.stop()
        print(f"     ({time.monotonic() - started:.0f} s from unpacking the rootfs to stopping the box)")
        if checks.failed:
            print(f"FAILED: {', '.join(checks.failed)} (the box is kept in {BOX})")
        elif not mounted_under(BOX):
            shutil.rmtree(BOX)


def boot_checks(box, checks):
    if not checks.check("systemd boots as PID 1 in the box", box.pid is not None):
        return 1
    state = eventually(lambda: box.sh("systemctl is-system-running").stdout.strip() in ("running", "degraded")
                       and box.sh("systemctl is-system-running").stdout.strip(), 30)
    checks.check("systemctl is-system-running", state in ("running", "degraded"), str(state))
    checks.check("installing neither enabled nor started edgetm",
                 box.sh("systemctl is-enabled edgetm").stdout.strip() == "disabled"
                 and box.show("ActiveState") == "inactive",
                 f"{box.sh('systemctl is-enabled edgetm').stdout.strip()}, {box.show('ActiveState')}")

    box.endpoint("127.0.0.11", 8080)
    region = box.endpoint("127.0.0.12", 8080)
    box.endpoint("127.0.0.13", 8081, "--delay", "60")
    time.sleep(0.5)

    begun = time.monotonic()
    start = box.sh("systemctl start edgetm")
    took = time.monotonic() - begun
    checks.check("systemctl start edgetm: active", start.returncode == 0 and box.show("ActiveState") == "active",
                 f"{box.show('ActiveState')}/{box.show('SubState')} {start.stderr.strip()}")
    checks.check("READY only after the first probe round (a probe hangs for its 3 s timeout)",
                 took >= 2.9 and "firstProbeRound=complete" in box.journal(), f"start took {took:.1f} s")
    checks.check("STATUS= from the notify socket", box.show("StatusText") == "serving 2 profiles",
                 box.show("StatusText"))
    answer = box.dig("app.tm.test")
    checks.check("dig app.tm.test inside the box", answer == "127.0.0.11", answer)

    main_pid = box.show("MainPID")
    write(BOX / "etc/edgetm/profiles/app.json", app(2, 1))
    reload = box.sh("systemctl reload edgetm")
    answer = eventually(lambda: (a := box.dig("app.tm.test")) == "127.0.0.12" and a, 5) or box.dig("app.tm.test")
    checks.check("systemctl reload with a changed profile: new answer",
                 reload.returncode == 0 and answer == "127.0.0.12" and box.show("MainPID") == main_pid,
                 f"{answer} {reload.stderr.strip()}")
    checks.check("ExecReload needs no kill binary", "/usr/sbin/edgetm reload --pid" in box.show("ExecReload"))

    cursor = box.cursor()
    broken = app(2, 1)
    broken["properties"]["endpoints"][0]["properties"]["priority"] = 0
    write(BOX / "etc/edgetm/profiles/app.json", broken)
    box.sh("systemctl reload edgetm")
    refused = eventually(lambda: "reload failed" in box.journal(cursor), 5)
    journal = box.journal(cursor)
    answer = box.dig("app.tm.test")
    checks.check("reload with a broken profile: still active, old answer, error in the journal",
                 bool(refused) and box.show("ActiveState") == "active" and box.show("MainPID") == main_pid
                 and answer == "127.0.0.12" and "priority: 0 is out of range 1...1000" in journal,
                 f"{answer}; " + "; ".join(line for line in journal.splitlines() if "error" in line)[:300])
    # Put a good profile back: the restarts below run `edgetm check` first.
    write(BOX / "etc/edgetm/profiles/app.json", app(2, 1))

    begun = time.monotonic()
    box.sh("systemctl kill --kill-whom=main --signal=SIGSTOP edgetm")
    restarted = eventually(lambda: box.show("MainPID") not in (main_pid, "0") and box.show("ActiveState") == "active",
                           40, step=0.5)
    took = time.monotonic() - begun
    journal = box.journal(cursor)
    # The last ping came up to WatchdogSec/2 before the SIGSTOP: the restart follows 5 to 10 s after it.
    checks.check("watchdog: SIGSTOP -> restarted after WatchdogSec=10s",
                 bool(restarted) and took >= 4.5 and "Watchdog timeout" in journal and box.show("NRestarts") == "1",
                 f"new pid {box.show('MainPID')} after {took:.1f} s, NRestarts={box.show('NRestarts')}")
    answer = box.dig("app.tm.test")
    checks.check("answers after the watchdog restart", answer == "127.0.0.12", answer)

    # The region goes down, so that the state file has something to carry: Degraded.
    region.kill()
    region.wait()
    answer = eventually(lambda: (a := box.dig("app.tm.test")) == "127.0.0.11" and a, 10) or box.dig("app.tm.test")
    checks.check("failover when the region's service stops", answer == "127.0.0.11", answer)
    cursor = box.cursor()
    stop = box.sh("systemctl stop edgetm")
    state = box.sh("cat /var/lib/edgetm/state.json").stdout
    checks.check("systemctl stop: clean exit, state file written",
                 stop.returncode == 0 and box.show("Result") == "success" and box.show("ExecMainStatus") == "0"
                 and "stopping" in box.journal(cursor) and '"Degraded"' in state,
                 f"Result={box.show('Result')} status={box.show('ExecMainStatus')}, state file {len(state)} bytes")
    cursor = box.cursor()
    start = box.sh("systemctl start edgetm")
    journal = box.journal(cursor)
    restored = [line for line in journal.splitlines() if "restored endpoint health" in line]
    checks.check("start again: saved health restored", start.returncode == 0 and "endpoints=3" in "".join(restored),
                 restored[0][:160] if restored else journal[-300:])
    answer = box.dig("app.tm.test")
    checks.check("answers after the restart", answer == "127.0.0.11", answer)

    security = box.sh("systemd-analyze security edgetm.service --no-pager").stdout
    verdict = [line for line in security.splitlines() if "Overall exposure level" in line]
    # "→ Overall exposure level for edgetm.service: 1.4 OK 🙂"
    numbers = re.findall(r"\b[0-9]+\.[0-9]+\b", verdict[0]) if verdict else []
    score = float(numbers[0]) if numbers else 99.0
    checks.check("systemd-analyze security edgetm.service <= 2.0", score <= 2.0, verdict[0] if verdict else security)

    journal = box.journal()
    notices = [line for line in journal.splitlines() if " notice " in f" {line} "]
    wanted = ["serving", "ready", "reloaded", "endpoint status changed", "restored endpoint health", "stopping"]
    missing = [w for w in wanted if not any(w in line for line in notices)]
    checks.check("journalctl -u edgetm shows the notice lines", not missing,
                 f"{len(notices)} notice lines" + (f", missing {missing}" if missing else ""))

    purge = box.sh("DEBIAN_FRONTEND=noninteractive apt-get -qy purge edgetm", timeout=120)
    # The conffiles go; profiles/slow.json is the test's own file, which dpkg leaves alone.
    gone = box.sh("test ! -e /var/lib/private/edgetm && test ! -e /etc/edgetm/edgetm.json"
                  " && test ! -e /usr/sbin/edgetm")
    checks.check("apt-get purge: stopped, state and configuration removed",
                 purge.returncode == 0 and gone.returncode == 0 and box.show("ActiveState") in ("inactive", ""),
                 purge.stderr.strip()[-200:])
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())

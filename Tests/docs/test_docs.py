#!/usr/bin/env python3
"""make test-docs: the documentation that ships is checked against the code.

    test_docs.py --edgetm .build/debug/edgetm

- The JSON Schemas (docs/schema/, draft 2020-12) are valid schemas, accept every file under Config/, and reject
  every document of a table of broken ones that `edgetm check` also rejects with the expected message; a second
  table of unusual but valid documents is accepted by both. So the schema and the loader cannot drift apart
  silently.
- The man pages pass lexgrog and `man --warnings`; edgetm(8) names every subcommand and option the binary's parser
  has (`--experimental-dump-help`), edgetm.json(5) every key the schemas know.
Each check prints one line; the exit status is 1 if any failed. Needs Debian's python3-jsonschema and man-db.
"""
import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs/schema"
MAN = ROOT / "docs/man"
failed = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        failed.append(name)


def validator(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def edit(document, path, value):
    """A copy of `document` with `path` ("a.b[0].c") set to `value`, or removed when `value` is DELETE."""
    result = copy.deepcopy(document)
    steps = [int(s) if s.isdigit() else s for s in re.findall(r"[^.\[\]]+", path)]
    node = result
    for step in steps[:-1]:
        node = node[step]
    if value is DELETE:
        del node[steps[-1]]
    else:
        node[steps[-1]] = value
    return result


DELETE = object()
EP = "properties.endpoints[0].properties"
MON = "properties.monitorConfig"

# (file, JSON path, new value, what `edgetm check` says). The base documents are Config/edgetm.json and
# Config/profiles/app.json; every row breaks one rule.
BROKEN = [
    ("edgetm.json", "colour", "red", "edgetm.json: colour: unknown key"),
    ("edgetm.json", "listen", ["127.0.0.1"], "edgetm.json: listen[0]: \"127.0.0.1\" is not an address and port"),
    ("edgetm.json", "listen", [], "edgetm.json: listen: must list at least one address"),
    ("edgetm.json", "zone.soa.mname", DELETE, "edgetm.json: zone.soa.mname: is required"),
    ("edgetm.json", "zone.soa.minimum", 4294967296, "zone.soa.minimum: 4294967296 is out of range"),
    ("edgetm.json", "zone.nameservers", [], "zone.nameservers: must list at least one name server"),
    ("edgetm.json", "zone.name", "tm..example.", "zone.name: \"tm..example.\" is not a valid domain name"),
    ("edgetm.json", "zone.$schema", "x", "edgetm.json: zone.$schema: unknown key"),
    ("edgetm.json", "stateMaxAgeSeconds", -1, "stateMaxAgeSeconds: -1.0 must not be negative"),
    ("edgetm.json", "geo.city", "x", "edgetm.json: geo.city: unknown key"),
    ("edgetm.json", "status", {"allow": "127.0.0.0/8"}, "edgetm.json: status.allow: must be an array"),
    ("edgetm.json", "http", {"allow": ["127.0.0.0/8"]}, "edgetm.json: http.listen: is required"),
    ("edgetm.json", "http", {"listen": ["[::1]:8053"], "port": 80}, "edgetm.json: http.port: unknown key"),
    ("edgetm.json", "rateLimit", {"slip": 11}, "edgetm.json: rateLimit.slip: 11 is out of range 0...10"),
    ("edgetm.json", "rateLimit", {"burst": 5}, "edgetm.json: rateLimit.burst: unknown key"),
    ("edgetm.json", "cookies", {"secretFile": ""}, "edgetm.json: cookies.secretFile: must not be empty"),
    ("edgetm.json", "fleet", {"etcd": ["ftp://x"]}, "fleet.etcd[0]: \"ftp://x\" is not an http:// or https:// URL"),
    ("edgetm.json", "fleet", {"etcd": ["http://127.0.0.1:2379"], "degradedWhen": 1.5},
     "fleet.degradedWhen: 1.5 must be \"majority\", \"any\", \"all\" or a number above 0 and at most 1"),
    ("edgetm.json", "fleet", {"etcd": ["http://127.0.0.1:2379"], "instance": "a b"}, "fleet.instance: \"a b\""),
    ("edgetm.json", "fleet", {"etcd": ["http://127.0.0.1:2379"], "prefix": "edgetm/"}, "fleet.prefix: \"edgetm/\""),
    ("edgetm.json", "fleet", {"etcd": ["http://127.0.0.1:2379"], "tls": True}, "edgetm.json: fleet.tls: unknown key"),
    ("edgetm.json", "probeSourceAddress", ["127.0.0.51", "127.0.0.52", "::1"], "probeSourceAddress: lists two IPv4"),
    ("edgetm.json", "probeSourceAddress", ["x"], "probeSourceAddress[0]: \"x\" is not an IPv4 or IPv6 address"),
    ("profiles/app.json", "name", "a b", "name: \"a b\" is not a valid profile name"),
    ("profiles/app.json", "properties.profileStatus", "Paused", "profileStatus: \"Paused\" is not one of"),
    ("profiles/app.json", "properties.trafficRoutingMethod", "Performance", "\"Performance\" is not supported"),
    ("profiles/app.json", "properties.trafficRoutingMethod", DELETE, "trafficRoutingMethod: is required"),
    ("profiles/app.json", "properties.dnsConfig.relativeName", "-app", "is not a valid DNS label"),
    ("profiles/app.json", "properties.dnsConfig.ttl", -1, "dnsConfig.ttl: -1 is out of range 0...2147483647"),
    ("profiles/app.json", "properties.dnsConfig.adaptiveTtl", "yes", "dnsConfig.adaptiveTtl: must be true or false"),
    ("profiles/app.json", "properties.maxReturn", 11, "maxReturn: 11 is out of range 1...10"),
    ("profiles/app.json", "properties.colour", "red", "properties.colour: unknown key"),
    ("profiles/app.json", f"{MON}.protocol", "TCP", f"{MON}.path: is not used by TCP probes"),
    ("profiles/app.json", f"{MON}.intervalInSeconds", 0.1, "intervalInSeconds: 0.1 is out of range 0.2...3600"),
    ("profiles/app.json", f"{MON}.toleratedNumberOfFailures", 10, "toleratedNumberOfFailures: 10 is out of range"),
    ("profiles/app.json", f"{MON}.requiredSuccesses", 0, "requiredSuccesses: 0 is out of range 1...10"),
    ("profiles/app.json", f"{MON}.expectedBody", "", "expectedBody: must not be empty"),
    ("profiles/app.json", f"{MON}.port", 65536, "port: 65536 is out of range 1...65535"),
    ("profiles/app.json", f"{MON}.path", "health", "path: \"health\" must start with '/'"),
    ("profiles/app.json", f"{MON}.verifyCertificate", "yes", "verifyCertificate: must be true or false"),
    ("profiles/app.json", f"{MON}.expectedStatusCodeRanges", [{"min": 99, "max": 299}], "min: 99 is out of range"),
    ("profiles/app.json", f"{MON}.customHeaders", [{"name": "X"}], "customHeaders[0].value: is required"),
    ("profiles/app.json", f"{EP}.priority", 0, f"{EP}.priority: 0 is out of range 1...1000"),
    ("profiles/app.json", f"{EP}.speed", 1, f"{EP}.speed: unknown key"),
    ("profiles/app.json", f"{EP}.target", DELETE, f"{EP}.target: is required"),
    ("profiles/app.json", f"{EP}.weight", 1001, "weight: 1001 is out of range 1...1000"),
    ("profiles/app.json", f"{EP}.endpointStatus", "On", "endpointStatus: \"On\" is not one of"),
    ("profiles/app.json", f"{EP}.geoMapping", ["world-wide"], "is not a location code"),
    ("profiles/app.json", f"{EP}.subnets", [{"first": "192.0.2.0", "scope": 24, "last": "192.0.2.9"}],
     "give either scope or last, not both"),
    ("profiles/app.json", "properties.endpoints[0].type", "azureEndpoints", "refers to Azure resources"),
    ("profiles/app.json", "properties.endpoints[0].name", DELETE, "properties.endpoints[0].name: is required"),
]

# Valid documents that a careless schema would refuse: both must accept them.
VALID = [
    ("profiles/app.json", "$schema", "../../docs/schema/profile.schema.json"),
    ("edgetm.json", "$schema", "../docs/schema/edgetm.schema.json"),
    ("profiles/app.json", f"{MON}.path", None),
    ("profiles/app.json", f"{EP}.endpointMonitorStatus", None),
    ("profiles/app.json", "properties.trafficViewEnrollmentStatus", "Disabled"),
    ("profiles/app.json", f"{MON}.intervalInSeconds", 7.5),
    ("edgetm.json", "listen", ["[::1]:5353"]),
    ("edgetm.json", "http", {"listen": ["127.0.0.1:8053"], "allow": ["10.0.0.0/8"]}),
    ("edgetm.json", "fleet", {"etcd": ["http://127.0.0.1:2379", "HTTPS://[::1]:22379/"], "prefix": "/tm/",
                              "instance": "ns1-atlanta", "degradedWhen": 0.5}),
    ("edgetm.json", "fleet", {"etcd": ["http://etcd-1.example:2379"], "instance": "ns1", "degradedWhen": "all"}),
    ("edgetm.json", "probeSourceAddress", ["127.0.0.51", "::1"]),
]


def edgetm_check(edgetm, directory):
    result = subprocess.run([edgetm, "check", "--config", str(directory)], capture_output=True, text=True)
    return result.returncode, result.stderr


def check_schemas(edgetm):
    server, profile = validator("edgetm"), validator("profile")
    check("the schemas are valid draft 2020-12 schemas", True)

    def schema_for(name):
        return server if Path(name).name == "edgetm.json" else profile

    for path in sorted(ROOT.glob("Config/**/*.json")):
        if path.name == "geo-subnets.json":  # a CIDR map, described in edgetm.json(5), no schema
            continue
        if path.name.startswith("."):  # what a server run leaves (.state.json), not configuration
            continue
        errors = [e.message for e in schema_for(path.name).iter_errors(json.loads(path.read_text()))]
        check(f"schema accepts {path.relative_to(ROOT)}", not errors, "; ".join(errors)[:200])
    for directory in ("Config", "Config/production"):
        status, stderr = edgetm_check(edgetm, ROOT / directory)
        check(f"edgetm check accepts {directory}", status == 0, stderr.strip()[:200])

    with tempfile.TemporaryDirectory(prefix="edgetm-docs-") as temporary:
        base = Path(temporary) / "config"
        shutil.copytree(ROOT / "Config", base, ignore=shutil.ignore_patterns("production", ".*"))
        originals = {name: json.loads((base / name).read_text()) for name in ("edgetm.json", "profiles/app.json")}

        def attempt(name, path, value):
            document = edit(originals[name], path, value)
            (base / name).write_text(json.dumps(document))
            schema_errors = list(schema_for(name).iter_errors(document))
            status, stderr = edgetm_check(edgetm, base)
            (base / name).write_text(json.dumps(originals[name]))
            return schema_errors, status, stderr

        for name, path, value, message in BROKEN:
            schema_errors, status, stderr = attempt(name, path, value)
            shown = "removed" if value is DELETE else json.dumps(value)
            check(f"both refuse {name} {path} = {shown}",
                  bool(schema_errors) and status == 1 and message in stderr,
                  f"schema: {len(schema_errors)} errors; check: {status} {stderr.strip()[:160]!r}")
        for name, path, value in VALID:
            schema_errors, status, stderr = attempt(name, path, value)
            check(f"both accept {name} {path} = {json.dumps(value)}", not schema_errors and status == 0,
                  "; ".join(e.message for e in schema_errors)[:160] + stderr.strip()[:160])


def schema_keys(node, found):
    """Every property name the schemas describe, except the read-only keys they accept as `true`."""
    if isinstance(node, dict):
        for keyword, value in node.items():
            if keyword == "properties":
                # A map of property name to schema, not a schema itself.
                for key, subschema in value.items():
                    if subschema is not True:
                        found.add(key)
                    schema_keys(subschema, found)
            else:
                schema_keys(value, found)
    elif isinstance(node, list):
        for value in node:
            schema_keys(value, found)
    return found


def cli_words(command, words):
    """Subcommand names and --options from the parser's own description of itself."""
    words.add(command["commandName"])
    for argument in command.get("arguments", []):
        for name in argument.get("names", []):
            if argument.get("shouldDisplay") and name["kind"] == "long":
                words.add(f"--{name['name']}")
    for sub in command.get("subcommands", []):
        cli_words(sub, words)
    return words


def check_man_pages(edgetm):
    for page in sorted(MAN.iterdir()):
        lexgrog = subprocess.run(["lexgrog", str(page)], capture_output=True, text=True)
        check(f"lexgrog {page.name}", lexgrog.returncode == 0, lexgrog.stdout.strip())
        man = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                             env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        check(f"man --warnings {page.name}", man.returncode == 0 and not man.stderr.strip(), man.stderr.strip()[:300])

    # The roff source spells '-' as '\-'; compare with that undone.
    text = (MAN / "edgetm.8").read_text().replace("\\-", "-")
    dump = json.loads(subprocess.run([edgetm, "--experimental-dump-help"], capture_output=True, text=True,
                                     check=True).stdout)
    words = cli_words(dump["command"], set()) - {"edgetm"}
    missing = sorted(w for w in words if not re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text))
    check("edgetm(8) names every subcommand and option", not missing, f"{len(words)} names, missing {missing}")

    text = (MAN / "edgetm.json.5").read_text().replace("\\-", "-")
    keys = set()
    for name in ("edgetm", "profile"):
        schema_keys(json.loads((SCHEMAS / f"{name}.schema.json").read_text()), keys)
    missing = sorted(k for k in keys if k not in text)
    check("edgetm.json(5) names every key of the schemas", not missing, f"{len(keys)} keys, missing {missing}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edgetm", required=True)
    args = parser.parse_args()
    check_schemas(args.edgetm)
    check_man_pages(args.edgetm)
    if failed:
        print(f"FAILED: {len(failed)}: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

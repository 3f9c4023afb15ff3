#!/usr/bin/env python3
"""The sample events in events/: which function each goes to, and what status it must get.

    scripts/events.py plan [TEMPLATE]   one line per event: NAME STATUS FUNCTION BINARY FILE

FUNCTION is the template's logical id of the function API Gateway would hand the event to,
found the way API Gateway finds it: the event's route key (`METHOD /path`, or `ANY /path`)
among the functions' HttpApi events, else the `$default` route; BINARY is the workspace binary
the Makefile builds for it (what `cargo lambda invoke` names). STATUS is what the event's
name promises. One table for every script that plays the events (scripts/sam-local.sh,
scripts/smoke-cargo-lambda.sh); shared/tests/service/sample_events/expectations.rs holds each
event's full expected answer. Needs PyYAML (in the tools venv, scripts/tools.sh).
"""

import fnmatch
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name pattern, status), first match wins.
STATUS_BY_NAME = [
    # The sign-in page: the form, a sign-in's redirect with a code, an error's redirect.
    ("authorize-page", 200),
    ("authorize-sign-in-success", 303),
    ("authorize-missing-pkce", 302),
    ("authorize-plain-pkce", 302),
    ("authorize-unsupported-response-type", 302),
    ("authorize-invalid-scope", 302),
    ("authorize-*", 400),
    ("*-success*", 200),
    ("docs-page", 200),
    ("introspect-inactive-*", 200),  # RFC 7662: an inactive token is an answer, not an error
    ("*-insufficient-scope", 403),
    ("*-no-token", 401),  # the bearer token
    ("*-expired-token", 401),
    ("*-invalid-token", 401),
    ("*-inactive-user", 401),
    ("*-no-client", 401),  # client authentication (invalid_client)
    ("*-wrong-secret", 401),
    ("*-unknown-path", 404),
    ("*-wrong-method", 405),
    ("token-*", 400),
    ("revoke-*", 400),
]


def status_of(name):
    for pattern, status in STATUS_BY_NAME:
        if fnmatch.fnmatchcase(name, pattern):
            return status
    raise SystemExit(f"events.py: no expected status for the event name {name!r}")


def template_routes(template_path):
    """{route key: function logical id} of every HttpApi event in the template."""
    import yaml  # from the tools venv

    class Loader(yaml.SafeLoader):
        pass

    # CloudFormation's short tags (!Ref, !GetAtt, !If, ...): kept as plain values.
    def tagged(loader, _suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)

    Loader.add_multi_constructor("!", tagged)
    template = yaml.load(Path(template_path).read_text(), Loader=Loader)
    routes = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            properties = event["Properties"]
            path = properties["Path"]
            key = path if path == "$default" else f"{properties['Method'].upper()} {path}"
            if key in routes:
                raise SystemExit(f"events.py: {key} is routed twice ({routes[key]}, {name})")
            routes[key] = name
    return routes


def binaries():
    """{function logical id: binary} from the Makefile's build-<LogicalId> targets."""
    makefile = (ROOT / "Makefile").read_text()
    return dict(re.findall(r"^build-(\w+): lambdas\n\t\$\(call install-bootstrap,([\w-]+)\)", makefile, re.M))


def function_for(event, routes):
    method = event["requestContext"]["http"]["method"].upper()
    path = event["rawPath"]
    for key in (f"{method} {path}", f"ANY {path}", "$default"):
        if key in routes:
            return key, routes[key]
    raise SystemExit(f"events.py: nothing serves {method} {path}, not even $default")


def plan(template_path):
    routes = template_routes(template_path)
    binary_of = binaries()
    failures = 0
    for file in sorted((ROOT / "events").glob("*.json")):
        if file.name.startswith("env"):
            continue
        event = json.loads(file.read_text())
        key, function = function_for(event, routes)
        # The event says which route it came through: the template must agree.
        if event.get("routeKey") != key:
            print(
                f"events.py: {file.name} says route {event.get('routeKey')!r}, "
                f"the template routes it through {key!r}",
                file=sys.stderr,
            )
            failures += 1
        if function not in binary_of:
            raise SystemExit(f"events.py: the Makefile builds no binary for {function}")
        print(file.stem, status_of(file.stem), function, binary_of[function], file.relative_to(ROOT))
    if failures:
        raise SystemExit(1)


def main(argv):
    if len(argv) >= 2 and argv[1] == "plan":
        plan(argv[2] if len(argv) > 2 else ROOT / "template.yaml")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

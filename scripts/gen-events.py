#!/usr/bin/env python3
"""Regenerates events/: API Gateway HTTP API (payload v2) events for every function.

Tokens in the events are signed by `authctl issue-token` with the PUBLIC fixture key of
events/env.json, which is only for `sam local invoke` and tests: never deploy it.
Valid tokens last 100 years; the expired one expired when it was made.

    cargo build -p authctl && python3 scripts/gen-events.py
"""
import base64
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
AUTHCTL = ROOT / "target" / "debug" / "authctl"
ENV = json.loads((EVENTS / "env.json").read_text())["Parameters"]
CENTURY = 100 * 365 * 24 * 3600

ROUTES = {
    "token": ("POST", "/token"),
    "users-me": ("GET", "/users/me/"),
    "users-me-items": ("GET", "/users/me/items/"),
    "status": ("GET", "/status/"),
}


def token(user, scopes, ttl=CENTURY):
    env = dict(os.environ, JWT_SECRET=ENV["JWT_SECRET"], JWT_ISSUER=ENV["JWT_ISSUER"], JWT_AUDIENCE=ENV["JWT_AUDIENCE"])
    out = subprocess.run(
        [str(AUTHCTL), "issue-token", user, "--scopes", scopes, "--ttl-seconds", str(ttl)],
        env=env, check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def event(function, headers=None, body=None, base64_body=False, method=None, path=None, route_key=None):
    method = method or ROUTES[function][0]
    path = path or ROUTES[function][1]
    headers = {"accept": "application/json", "host": "localhost", "user-agent": "sample-event", **(headers or {})}
    if body is not None:
        headers["content-length"] = str(len(body.encode()))
    route_key = route_key or (f"{method} {path.rstrip('/')}" if function == "token" else f"{method} {path}")
    ev = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "sample-event",
            },
            "requestId": "sample-request-id",
            "routeKey": route_key,
            "stage": "$default",
            "time": "23/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795428000000,
        },
        "isBase64Encoded": base64_body,
    }
    if body is not None:
        ev["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
    return ev


FORM = {"content-type": "application/x-www-form-urlencoded"}


def bearer(tok):
    return {"authorization": f"Bearer {tok}"}


def main():
    johndoe_all = token("johndoe", "me items")
    events = {
        "token-success": event("token", FORM, "grant_type=password&username=johndoe&password=secret&scope=me+items"),
        "token-success-base64": event("token", FORM, "username=johndoe&password=secret&scope=me", base64_body=True),
        "token-wrong-password": event("token", FORM, "grant_type=password&username=johndoe&password=wrong"),
        "token-disabled-user": event("token", FORM, "grant_type=password&username=alice&password=secretalice"),
        "token-invalid-scope": event("token", FORM, "username=johndoe&password=secret&scope=me+admin"),
        "token-unsupported-grant-type": event("token", FORM, "grant_type=client_credentials&username=johndoe&password=secret"),
        "token-missing-password": event("token", FORM, "username=johndoe"),
        "token-json-body": event("token", {"content-type": "application/json"}, '{"username":"johndoe","password":"secret"}'),
        "users-me-success": event("users-me", bearer(johndoe_all)),
        "users-me-no-token": event("users-me"),
        "users-me-expired-token": event("users-me", bearer(token("johndoe", "me items", ttl=0))),
        "users-me-insufficient-scope": event("users-me", bearer(token("johndoe", "items"))),
        "users-me-items-success": event("users-me-items", bearer(johndoe_all)),
        "users-me-items-insufficient-scope": event("users-me-items", bearer(token("johndoe", "me"))),
        "status-success": event("status", bearer(token("johndoe", ""))),
        "status-invalid-token": event("status", bearer("not-a-jwt")),
        "status-inactive-user": event("status", bearer(token("alice", "me"))),
        # What API Gateway's catch-all `$default` route hands the status function.
        "status-default-route-unknown-path": event("status", method="GET", path="/nowhere", route_key="$default"),
        "status-default-route-wrong-method": event("status", method="GET", path="/token", route_key="$default"),
    }
    for name, ev in events.items():
        (EVENTS / f"{name}.json").write_text(json.dumps(ev, indent=2) + "\n")
    print(f"wrote {len(events)} events to {EVENTS}")


if __name__ == "__main__":
    main()

"""schemathesis hooks: every generated request to a protected operation carries an access
token of the dedicated user `schemathesis`, signed in with the password grant.

Its sign-ins come from their own address, through the trusted-proxy header the server is
started with (TRUSTED_SOURCE_HEADER), so the guessing schemathesis does at /token from
127.0.0.1 never spends their budget, and the demo users are never touched.
"""
import os

import requests
import schemathesis

BASE = os.environ["DOCS_CHECK_BASE"]
SOURCE_HEADER = os.environ["TRUSTED_SOURCE_HEADER"]


def declares_security(context):
    """Only the operations whose document entry asks for a token get one."""
    return bool(context.operation.definition.raw.get("security"))


@schemathesis.auth().apply_to(declares_security)
class DedicatedUser:
    def get(self, case, context):
        response = requests.post(
            f"{BASE}/token",
            data={
                "grant_type": "password",
                "username": os.environ["DOCS_CHECK_USER"],
                "password": os.environ["DOCS_CHECK_PASSWORD"],
                "scope": "me items",
            },
            headers={SOURCE_HEADER: "192.0.2.10"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

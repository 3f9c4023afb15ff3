"""schemathesis hooks for scripts/docs-checks.sh.

- Every generated request to an operation that declares security carries an access token of
  the dedicated user (DOCS_CHECK_USER), signed in with the password grant from its own
  address, through the trusted-proxy header the server is started with
  (TRUSTED_SOURCE_HEADER): the guessing schemathesis does at /token from 127.0.0.1 never
  spends that user's budget.
- No generated sign-in names a protected user (DOCS_CHECK_PROTECTED_USERS, the demo users):
  the document's example username is `johndoe`, and schemathesis would otherwise guess its
  password until it is locked out.
"""
import os

import requests
import schemathesis

BASE = os.environ["DOCS_CHECK_BASE"]
SOURCE_HEADER = os.environ["TRUSTED_SOURCE_HEADER"]
PROTECTED_USERS = set(os.environ["DOCS_CHECK_PROTECTED_USERS"].split())


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


@schemathesis.hook
def before_call(context, case, **kwargs):
    """Every phase's cases pass here just before they are sent: rename protected users."""
    if not isinstance(case.body, dict) or "username" not in case.body:
        return
    # Negative cases may put any JSON value in a field; a list is sent as repeated fields.
    username = case.body["username"]
    if isinstance(username, str):
        renamed = rename(username)
    elif isinstance(username, list):
        renamed = [rename(item) if isinstance(item, str) else item for item in username]
    else:
        return
    case.body = {**case.body, "username": renamed}


def rename(name):
    return "not-" + name if name in PROTECTED_USERS else name

"""schemathesis hooks for scripts/docs-checks.sh.

- Every generated request to an operation that asks for a bearer token (its security names
  the OAuth2 scheme) carries an access token of the dedicated user (DOCS_CHECK_USER), signed
  in with the password grant from its own address, through the trusted-proxy header the
  server is started with (TRUSTED_SOURCE_HEADER): the guessing schemathesis does at /token
  from 127.0.0.1 never spends that user's budget.
- Every generated request to /introspect, which serves confidential clients only (RFC 7662
  §2.1), authenticates with HTTP Basic (`client_secret_basic`) as the dedicated confidential
  client (DOCS_CHECK_CLIENT_ID, DOCS_CHECK_CLIENT_SECRET), from an address of its own too
  (client secrets are counted against the same address budgets as passwords): so the run
  sees introspection's real answers, not only the 401 of an unknown client. /token and
  /revoke also accept client credentials, but there a request that names no client is the
  built-in public client's: they are left to what schemathesis generates (the password and
  refresh grants of that client; made-up client ids and secrets, refused).
- No generated sign-in names a protected user (DOCS_CHECK_PROTECTED_USERS, the demo users):
  the document's example username is `johndoe`, and schemathesis would otherwise guess its
  password until it is locked out.
"""
import base64
import os
from urllib.parse import quote

import requests
import schemathesis

BASE = os.environ["DOCS_CHECK_BASE"]
SOURCE_HEADER = os.environ["TRUSTED_SOURCE_HEADER"]
PROTECTED_USERS = set(os.environ["DOCS_CHECK_PROTECTED_USERS"].split())
# The document's security scheme names (shared/src/http/openapi/mod.rs).
BEARER_SCHEME = "OAuth2PasswordBearer"
CLIENT_SCHEME = "ClientSecretBasic"


def security_schemes(context):
    """The scheme names of the operation's security requirements."""
    requirements = context.operation.definition.raw.get("security") or []
    return {name for requirement in requirements for name in requirement}


def takes_bearer_token(context):
    """Only the operations whose document entry asks for a token get one."""
    return BEARER_SCHEME in security_schemes(context)


def introspection(context):
    """The operation that needs a confidential client (and declares HTTP Basic for it)."""
    return context.operation.path == "/introspect" and CLIENT_SCHEME in security_schemes(context)


@schemathesis.auth().apply_to(takes_bearer_token)
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


@schemathesis.auth(refresh_interval=None).apply_to(introspection)
class DedicatedClient:
    def get(self, case, context):
        # RFC 6749 §2.3.1: id and secret each form-urlencoded, then joined by `:`.
        pair = f'{quote(os.environ["DOCS_CHECK_CLIENT_ID"], safe="")}:' \
               f'{quote(os.environ["DOCS_CHECK_CLIENT_SECRET"], safe="")}'
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": data, SOURCE_HEADER: "192.0.2.11"}


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

"""The authorization code flow with PKCE, driven by a real OAuth client library without a
browser: authlib's OAuth2Session makes the authorization URL (S256 challenge, state), a plain
HTTP session plays the person (opens the sign-in page, keeps its cookie, posts the form with a
username and password), and authlib exchanges the redirect for tokens
(`fetch_token(authorization_response=...)`), which then call the API and refresh. A replayed
code is refused and ends that session.

    python authlib_code_flow.py BASE CLIENT_ID REDIRECT_URI

Exits non-zero on the first thing that is not as the README says.
"""
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError

TIMEOUT = 10


class Form(HTMLParser):
    """The hidden fields of the sign-in page's form."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


def sign_in(authorization_url, username, password):
    """What a person's browser does: open the page, fill the form, post it. The redirect."""
    browser = requests.Session()
    page = browser.get(authorization_url, headers={"accept": "text/html"}, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    assert "text/html" in page.headers["content-type"], page.headers
    assert page.headers["x-frame-options"] == "DENY", page.headers
    form = Form()
    form.feed(page.text)
    assert "csrf_token" in form.fields, page.text
    answer = browser.post(
        authorization_url.split("?")[0],
        data={**form.fields, "username": username, "password": password},
        headers={"accept": "text/html"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return answer


def main(base, client_id, redirect_uri):
    meta = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert meta["code_challenge_methods_supported"] == ["S256"], meta
    assert meta["authorization_response_iss_parameter_supported"] is True, meta

    session = OAuth2Session(
        client_id,
        redirect_uri=redirect_uri,
        scope="me items",
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier
    )

    # A wrong password: the form again, and no redirect.
    wrong = sign_in(url, "johndoe", "not-the-password")
    assert wrong.status_code == 400 and "location" not in wrong.headers, wrong.status_code

    answer = sign_in(url, "johndoe", "secret")
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(redirect_uri + "?"), location
    query = parse_qs(urlparse(location).query)
    assert query["state"] == [state], query
    assert query["iss"] == [meta["issuer"]], query

    token = session.fetch_token(
        meta["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
        timeout=TIMEOUT,
    )
    assert token["token_type"].lower() == "bearer", token
    assert token["scope"] == "me items", token
    me = session.get(f"{base}/users/me/", timeout=TIMEOUT)
    assert me.status_code == 200 and me.json()["username"] == "johndoe", me.text
    items = session.get(f"{base}/users/me/items/", timeout=TIMEOUT)
    assert items.status_code == 200, items.text
    refreshed = session.refresh_token(meta["token_endpoint"], timeout=TIMEOUT)
    assert refreshed["access_token"] != token["access_token"], refreshed
    print(f"authlib code flow: {client_id} signed johndoe in, called the API, refreshed")

    # The same code again: refused, and the session it started is over.
    replay = OAuth2Session(client_id, redirect_uri=redirect_uri)
    try:
        replay.fetch_token(
            meta["token_endpoint"],
            authorization_response=location,
            code_verifier=verifier,
            timeout=TIMEOUT,
        )
        raise AssertionError("a replayed code was exchanged")
    except OAuthError as err:
        assert err.error == "invalid_grant", err
    try:
        session.refresh_token(meta["token_endpoint"], timeout=TIMEOUT)
        raise AssertionError("the replayed code's session still refreshes")
    except OAuthError as err:
        assert err.error == "invalid_grant", err
    print("authlib code flow: a replayed code is refused and ends its session")


if __name__ == "__main__":
    main(*sys.argv[1:])

"""The hosted sign-in page in a real browser: headless Chromium (Debian's) driven by Playwright,
as a public app's user meets it.

The "app" is this script: it listens on a loopback callback (RFC 8252 §7.3), makes an
authorization URL with a PKCE S256 challenge and a state, and sends the browser there. The
browser lands on the service's page, which is checked for what a person needs (the app's
name, the scopes, labelled fields), passes axe-core's accessibility rules (WCAG 2 A and AA),
and is screenshotted at phone and desktop widths. A wrong password shows the one message;
then the right one, and the browser follows the redirect to the callback, where the app finds
its state and `iss`, exchanges the code with its verifier and calls /users/me/. A second
authorization in the same browser needs no password (its browser session), only a press on
"Continue as johndoe" (a public app), unless the app sends `prompt=login`. Fails on any
Content-Security-Policy violation, console error or request to a third origin.

    python browser_sign_in.py BASE CLIENT_ID CALLBACK_PORT AXE_JS OUT_DIR
"""
import base64
import hashlib
import http.server
import json
import secrets
import sys
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from playwright.sync_api import expect, sync_playwright

from browser_docs import CHROMIUM, FLAGS

TIMEOUT = 10


class Callback(http.server.BaseHTTPRequestHandler):
    """The app's loopback redirect URI: keeps the query it was called with."""

    received = []

    def do_GET(self):
        if self.path.startswith("/callback"):
            Callback.received.append(self.path)
        body = b"<!doctype html><title>App</title><p>Signed in, back in the app.</p>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def accessible(page, axe_js, what):
    """axe-core's WCAG 2.1 A/AA rules on `page`, evaluated through DevTools (the page's policy
    allows no script at all)."""
    page.evaluate(open(axe_js).read())
    results = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in results["violations"]]
    assert not violations, f"{what}: " + json.dumps(violations, indent=1)
    print(f"axe-core on {what}: {len(results['passes'])} rules passed, no violation")


def main(base, client_id, port, axe_js, out):
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    server = http.server.HTTPServer(("127.0.0.1", int(port)), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state = secrets.token_urlsafe(12)
    url = f"{base}/authorize?" + urlencode({
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "me items",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    service = urlsplit(base).netloc
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        # The failed sign-in's page comes with a 400, which Chromium reports on the console.
        expected_400 = []

        def on_console(message):
            if expected_400 and "status of 400" in message.text:
                expected_400.pop()
            elif message.type in ("error", "warning"):
                problems.append(f"console: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        page.on("request", lambda r: urlsplit(r.url).netloc not in (service, f"127.0.0.1:{port}")
                and problems.append(f"request to another origin: {r.url}"))
        page.goto(url)
        expect(page).to_have_title("Sign in")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_text(f"{client_id} asks to sign you in")).to_be_visible()
        expect(page.get_by_text("Read information about the current user.")).to_be_visible()
        username = page.get_by_label("Username")
        password = page.get_by_label("Password")
        expect(username).to_be_visible()
        expect(password).to_have_attribute("type", "password")
        page.screenshot(path=f"{out}/sign-in-phone.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{out}/sign-in-desktop.png", full_page=True)

        accessible(page, axe_js, "the sign-in page")

        # A wrong password: the form again, with the one message, read out as an alert.
        username.fill("johndoe")
        password.fill("not-the-password")
        expected_400.append(True)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
        expect(page.get_by_label("Username")).to_have_value("johndoe")
        assert not Callback.received, Callback.received
        page.screenshot(path=f"{out}/sign-in-failed.png", full_page=True)

        page.get_by_label("Password").fill("secret")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{redirect_uri}?*")
        expect(page.get_by_text("Signed in, back in the app.")).to_be_visible()

        # The same browser, a second authorization (another app would do the same): its
        # browser session answers without the password; this public app, after one press.
        second_state = secrets.token_urlsafe(12)
        page.goto(url.replace(f"state={state}", f"state={second_state}"))
        expect(page.get_by_text("You are signed in as johndoe.")).to_be_visible()
        page.screenshot(path=f"{out}/sign-in-continue.png", full_page=True)
        accessible(page, axe_js, "the Continue page")
        page.get_by_role("button", name="Continue as johndoe").click()
        page.wait_for_url(f"{redirect_uri}?*")
        assert len(Callback.received) == 2, Callback.received
        assert parse_qs(urlsplit(Callback.received[1]).query)["state"] == [second_state]
        # prompt=login asks for the password all the same.
        page.goto(url + "&prompt=login")
        expect(page.get_by_label("Password")).to_be_visible()
        expect(page.get_by_role("button", name="Continue as johndoe")).to_have_count(0)
        browser.close()
    server.shutdown()
    assert not problems, "\n".join(problems)

    query = parse_qs(urlsplit(Callback.received[0]).query)
    assert query["state"] == [state], query
    meta = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert query["iss"] == [meta["issuer"]], query
    token = requests.post(meta["token_endpoint"], data={
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": query["code"][0],
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }, timeout=TIMEOUT)
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    me = requests.get(f"{base}/users/me/", headers={"authorization": f"Bearer {access}"}, timeout=TIMEOUT)
    assert me.status_code == 200 and me.json()["username"] == "johndoe", me.text
    print(f"browser sign-in: {client_id} got johndoe's tokens through the hosted page; screenshots in {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])

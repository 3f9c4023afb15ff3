"""The docs page in a real browser: headless Chromium (Debian's) driven by Playwright.

(Also signs in with the authorization code flow: Authorize opens the service's sign-in page
as the docs page's client `docs`, and the code comes back to Swagger UI's redirect page.)

Opens /docs on a running local server, presses Authorize, signs in with the password flow
(one of the dialog's boxes, beside the client credentials flow and HTTP Basic) as the given user with scopes `me` and `items`, calls GET /users/me/ from the page, and
checks the 200 answer shown; then checks that /docs/ renders the same document. Fails on any
Content-Security-Policy violation or other console error, script error, failed request or
request to another origin, and on anything Swagger UI could not read in the document. Saves a
screenshot.

    python browser_docs.py http://127.0.0.1:8000 johndoe secret target/docs-checks/docs.png [no-code-flow]
"""
import json
import re
import sys
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic would be refused by this machine's closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def try_out(operation):
    """Expand an operation and press its "Try it out" button.

    Swagger UI re-renders the operation list when its state changes (a sign-in, the dialog
    closing), and a click that lands during a re-render can be lost: expand until the
    operation says it is open (its `is-open` class), and only then look for the button.
    """
    for attempt in range(3):
        if "is-open" not in (operation.get_attribute("class") or "").split():
            operation.locator(".opblock-summary").click()
        try:
            expect(operation).to_have_class(re.compile(r"\bis-open\b"), timeout=10_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    operation.locator("button.try-out__btn").click()


def code_flow(browser, base, origin, username, password, problems):
    """Authorize with the authorization code flow (PKCE), then call GET /users/me/."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.goto(f"{base}/docs/")
    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".modal-ux")
    flow = dialog.locator(".auth-container").filter(
        has=page.locator("h4", has_text="(OAuth2, authorizationCode with PKCE)"))
    expect(flow).to_have_count(1)
    flow.locator("#client_id_authorizationCode").fill("docs")
    for scope in ("me", "items"):
        box = flow.locator(f'input[type=checkbox][data-value="{scope}"]')
        flow.locator(f'label[for="{box.get_attribute("id")}"]').click()
        expect(box).to_be_checked()
    with page.expect_popup() as opened:
        flow.locator(".auth-btn-wrapper button.authorize").click()
    sign_in = opened.value
    sign_in.on("console", lambda m: m.type == "error" and problems.append(f"sign-in console: {m.text}"))
    sign_in.wait_for_load_state()
    authorize = urlsplit(sign_in.url)
    assert authorize.path == "/authorize", sign_in.url
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["docs"] and query["code_challenge_method"] == ["S256"], query
    expect(sign_in.get_by_text("docs asks to sign you in")).to_be_visible()
    sign_in.get_by_label("Username").fill(username)
    sign_in.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/token") as exchanged:
        sign_in.get_by_role("button", name="Sign in").click()
    token = exchanged.value
    assert token.status == 200, f"/token answered {token.status}: {token.text()}"
    assert set(token.json()["scope"].split()) == {"me", "items"}, token.json()
    sent = parse_qs(token.request.post_data or "")
    assert sent.get("grant_type") == ["authorization_code"] and "code_verifier" in sent, sent
    expect(flow.locator(".auth-btn-wrapper button.authorize")).to_have_text("Logout")
    flow.locator(".auth-btn-wrapper button.btn-done").click()
    expect(dialog).to_have_count(0)
    operation = page.locator("#operations-Users-read_users_me")
    try_out(operation)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/users/me/") as called:
        operation.locator("button.execute").click()
    me = called.value
    assert me.status == 200 and me.json()["username"] == username, (me.status, me.text())
    page.close()


def main(base, username, password, screenshot, with_code_flow="code-flow"):
    origin = urlsplit(base).netloc
    problems = []
    encodings = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))

        def on_request(request):
            if urlsplit(request.url).scheme in ("http", "https") and urlsplit(request.url).netloc != origin:
                problems.append(f"request to another origin: {request.url}")

        def on_response(response):
            path = urlsplit(response.url).path
            if response.status >= 400 and path not in ("/token", "/users/me/"):
                problems.append(f"{response.status} for {response.url}")
            if path.startswith("/docs/"):
                encodings[path] = response.headers.get("content-encoding", "identity")

        page.on("request", on_request)
        page.on("response", on_response)
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))

        page.goto(f"{base}/docs")
        expect(page.locator(".information-container .title")).to_contain_text("OAuth2 with scopes")
        expect(page.locator("#operations-Users-read_users_me")).to_be_visible()
        # Swagger UI lists what it could not read in the document (unresolved references...).
        expect(page.locator(".errors-wrapper")).to_have_count(0)

        # Authorize: the password flow with both scopes ticked. The dialog also offers the
        # scheme's client credentials flow and the clients' HTTP Basic scheme, each in a box
        # of its own with its own scope boxes and buttons: work in the password flow's box.
        page.locator(".scheme-container button.authorize").click()
        dialog = page.locator(".modal-ux")
        expect(dialog.locator(".auth-container h4", has_text="clientCredentials")).to_have_count(1)
        flow = dialog.locator(".auth-container").filter(
            has=page.locator("h4", has_text="(OAuth2, password)"))
        expect(flow).to_have_count(1)
        flow.locator("#oauth_username").fill(username)
        flow.locator("#oauth_password").fill(password)
        for scope in ("me", "items"):
            box = flow.locator(f'input[type=checkbox][data-value="{scope}"]')
            # Swagger UI hides the box and draws its label: tick it as a person would.
            flow.locator(f'label[for="{box.get_attribute("id")}"]').click()
            expect(box).to_be_checked()
        with page.expect_response(lambda r: urlsplit(r.url).path == "/token") as signed_in:
            flow.locator(".auth-btn-wrapper button.authorize").click()
        token = signed_in.value
        assert token.status == 200, f"/token answered {token.status}: {token.text()}"
        assert set(token.json()["scope"].split()) == {"me", "items"}, token.json()
        expect(flow.locator(".auth-btn-wrapper button.authorize")).to_have_text("Logout")
        flow.locator(".auth-btn-wrapper button.btn-done").click()
        expect(dialog).to_have_count(0)

        # GET /users/me/ from the page.
        operation = page.locator("#operations-Users-read_users_me")
        try_out(operation)
        with page.expect_response(lambda r: urlsplit(r.url).path == "/users/me/") as called:
            operation.locator("button.execute").click()
        me = called.value
        assert me.status == 200 and me.json()["username"] == username, (me.status, me.text())
        assert me.request.all_headers().get("authorization", "").startswith("Bearer ")
        live = operation.locator(".live-responses-table tr.response .response-col_status").first
        expect(live).to_have_text("200")
        expect(operation.locator(".live-responses-table .microlight").first).to_contain_text(username)
        operation.scroll_into_view_if_needed()
        page.screenshot(path=screenshot, full_page=True)

        # The code flow, as the docs page's public client `docs`: Authorize opens the
        # service's sign-in page in a window of its own, which comes back to Swagger UI's
        # oauth2-redirect.html with the code; Swagger UI exchanges it with its PKCE verifier.
        if with_code_flow == "code-flow":
            code_flow(browser, base, origin, username, password, problems)

        # The other slash form: the same page, its files and the document resolve from there.
        page.goto(f"{base}/docs/")
        expect(page.locator("#operations-Users-read_users_me")).to_be_visible()
        expect(page.locator(".errors-wrapper")).to_have_count(0)
        browser.close()

    # The bundle came gzipped (the browser asks for it) and ran.
    if encodings.get("/docs/swagger-ui-bundle.js") != "gzip":
        problems.append(f"the bundle was not sent gzipped: {encodings}")
    if problems:
        print("browser_docs.py: problems seen in the page:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({
        "page": f"{base}/docs",
        "signed_in_as": username,
        "scopes": "me items",
        "users_me_status": 200,
        "also_rendered": f"{base}/docs/",
        "encodings": encodings,
        "screenshot": screenshot,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:6])

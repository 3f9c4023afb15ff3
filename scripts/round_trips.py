"""How many sequential AWS round trips each request waits for, measured from outside.

Two `authctl serve` processes run on the same DynamoDB and KMS (moto), each behind its own
delay-injecting TCP proxy: one adds nothing, the other holds every byte that comes back from
moto for DELAY ms (a link with that much latency; calls made at the same time wait once). A
request that waits for k AWS calls one after another is then k x DELAY slower on the second:

    round trips = (p50 with the delay - p50 without) / DELAY

Requests measured (each from an address of its own, so no sign-in budget fills):
  POST /token password            johndoe signs in (the tutorial's grant)
  POST /token refresh_token       the session's refresh token, rotated
  POST /token client_credentials  a confidential client, HTTP Basic
  POST /token authorization_code  a code from the sign-in page, exchanged with PKCE
  POST /authorize                 the sign-in page's form (the same sign-in as the password grant)
  GET  /users/me/                 a valid token (the user is read for every request)

    python round_trips.py AUTHCTL MOTO_URL [DELAY_MS] [RUNS]

Run through scripts/round-trips.sh, which starts moto and builds authctl.
"""
import asyncio
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

REDIRECT = "http://127.0.0.1:8765/callback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DelayProxy:
    """A TCP proxy to `upstream` that delivers what upstream sends `delay` seconds late, in
    order: the latency of a network link, in one direction (one wait per request/answer)."""

    def __init__(self, upstream_port, delay):
        self.upstream_port, self.delay = upstream_port, delay
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        started.wait()

    def _run(self, started):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port))
        started.set()
        self.loop.run_until_complete(server.serve_forever())

    async def _serve(self, client_reader, client_writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(
            self._pipe(client_reader, up_writer, 0.0),
            self._pipe(up_reader, client_writer, self.delay),
            return_exceptions=True,
        )

    async def _pipe(self, reader, writer, delay):
        queue = asyncio.Queue()

        async def deliver():
            while (item := await queue.get()) is not None:
                due, data = item
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            writer.close()

        delivering = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((time.monotonic() + delay, data))
        finally:
            queue.put_nowait(None)
            await delivering


class Server:
    """`authctl serve` reaching DynamoDB and KMS through `proxy`."""

    def __init__(self, authctl, proxy, log):
        self.port = free_port()
        endpoint = f"http://127.0.0.1:{proxy.port}"
        env = dict(os.environ, AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_KMS=endpoint,
                   TOKEN_SIGNER="kms", TRUSTED_SOURCE_HEADER="x-forwarded-for", RUST_LOG="warn")
        self.process = subprocess.Popen([authctl, "serve", "--port", str(self.port)],
                                        env=env, stdout=log, stderr=log)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for _ in range(300):
            try:
                if self.request("GET", "/.well-known/openid-configuration")[0] == 200:
                    return
            except OSError:
                self.connection.close()
            time.sleep(0.1)
        raise SystemExit("round_trips.py: authctl serve did not start")

    def request(self, method, path, body=None, headers=None):
        """One request on the kept-alive connection: (status, headers, body, seconds)."""
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        return response.status, response.headers, data, time.perf_counter() - started

    def stop(self):
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=10)


FORM = {"content-type": "application/x-www-form-urlencoded"}


def source(n):
    return {"x-forwarded-for": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def expect(what, status, want, body):
    if status != want:
        raise SystemExit(f"round_trips.py: {what} answered {status}, not {want}: {body[:300]!r}")


def sign_in(server, n):
    status, _, body, took = server.request(
        "POST", "/token", urlencode({"username": "johndoe", "password": "secret",
                                     "scope": "me items", "client_id": "probe-app"}),
        {**FORM, **source(n)})
    expect("POST /token password", status, 200, body)
    return json.loads(body), took


def code(server, n, client):
    """Signs in on the sign-in page: (the code, seconds the form's POST took)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urlencode({"response_type": "code", "client_id": client, "redirect_uri": REDIRECT,
                       "scope": "me", "state": "probe", "code_challenge": challenge.decode(),
                       "code_challenge_method": "S256"})
    status, headers, page, _ = server.request("GET", f"/authorize?{query}", headers=source(n))
    expect("GET /authorize", status, 200, page)
    cookies = "; ".join(c.split(";", 1)[0] for c in headers.get_all("set-cookie") or [])
    fields = dict(re.findall(r'type="hidden" name="([a-z_]*)" value="([^"]*)"', page.decode()))
    fields.update(username="johndoe", password="secret")
    status, headers, body, took = server.request(
        "POST", "/authorize", urlencode(fields), {**FORM, **source(n), "cookie": cookies})
    expect("POST /authorize", status, 303, body)
    answer = parse_qs(urlsplit(headers["location"]).query)
    return answer["code"][0], verifier, took


def measure(server, runs, base, secret):
    """Seconds each request took, `runs` times, on `server`."""
    took = {name: [] for name in NAMES}
    basic = "Basic " + base64.b64encode(f"probe-service:{secret}".encode()).decode()
    for i in range(runs):
        n = base + i * 4
        signed_in, seconds = sign_in(server, n)
        took["POST /token password"].append(seconds)

        status, _, body, seconds = server.request(
            "POST", "/token", urlencode({"grant_type": "refresh_token", "client_id": "probe-app",
                                         "refresh_token": signed_in["refresh_token"]}),
            {**FORM, **source(n + 1)})
        expect("POST /token refresh_token", status, 200, body)
        took["POST /token refresh_token"].append(seconds)

        status, _, body, seconds = server.request(
            "POST", "/token", urlencode({"grant_type": "client_credentials", "scope": "items"}),
            {**FORM, **source(n + 2), "authorization": basic})
        expect("POST /token client_credentials", status, 200, body)
        took["POST /token client_credentials"].append(seconds)

        issued, verifier, seconds = code(server, n + 3, "probe-app")
        took["POST /authorize"].append(seconds)
        status, _, body, seconds = server.request(
            "POST", "/token", urlencode({"grant_type": "authorization_code", "code": issued,
                                         "redirect_uri": REDIRECT, "client_id": "probe-app",
                                         "code_verifier": verifier}),
            {**FORM, **source(n + 3)})
        expect("POST /token authorization_code", status, 200, body)
        took["POST /token authorization_code"].append(seconds)

        bearer = {"authorization": f"Bearer {signed_in['access_token']}"}
        status, _, body, seconds = server.request("GET", "/users/me/", headers=bearer)
        expect("GET /users/me/", status, 200, body)
        took["GET /users/me/"].append(seconds)
    return took


NAMES = ["POST /token password", "POST /token refresh_token", "POST /token client_credentials",
         "POST /token authorization_code", "POST /authorize", "GET /users/me/"]


def main(authctl, moto_url, delay_ms="50", runs="15"):
    delay, runs = int(delay_ms) / 1000, int(runs)
    moto_port = urlsplit(moto_url).port
    secret = os.environ["PROBE_CLIENT_SECRET"]
    log = open(os.environ.get("PROBE_LOG", os.devnull), "ab")
    plain = Server(authctl, DelayProxy(moto_port, 0.0), log)
    slow = Server(authctl, DelayProxy(moto_port, delay), log)
    try:
        # Warm both: connection pools, the key set, the first KMS call.
        measure(plain, 2, 0, secret)
        measure(slow, 2, 1000, secret)
        # Interleaved, so that a noisy spell on the machine hits both alike.
        fast_runs, slow_runs = {n: [] for n in NAMES}, {n: [] for n in NAMES}
        for i in range(runs):
            for name, took in measure(plain, 1, 10_000 + i * 4, secret).items():
                fast_runs[name] += took
            for name, took in measure(slow, 1, 20_000 + i * 4, secret).items():
                slow_runs[name] += took
    finally:
        plain.stop()
        slow.stop()
    print(f"Sequential AWS round trips per request: (p50 at {delay_ms} ms - p50 at 0) / {delay_ms} ms,"
          f" {runs} runs each")
    print(f"{'request':<34} {'p50 at 0':>9} {'p50 at D':>9} {'round trips':>12}")
    result = {}
    for name in NAMES:
        fast, slow_ = statistics.median(fast_runs[name]), statistics.median(slow_runs[name])
        trips = (slow_ - fast) / delay
        result[name] = round(trips, 2)
        print(f"{name:<34} {fast * 1000:>7.1f}ms {slow_ * 1000:>7.1f}ms {trips:>12.2f}")
    print(json.dumps({"delay_ms": int(delay_ms), "runs": runs, "round_trips": result}))


if __name__ == "__main__":
    main(*sys.argv[1:5])

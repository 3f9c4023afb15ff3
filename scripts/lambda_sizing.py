"""Sign-ins against one `authctl serve` under a CPU quota, and the table of all sizes.

    python lambda_sizing.py BASE MEMORY_MB RUNS      # one JSON line: latencies at this size
    python lambda_sizing.py --table RESULTS PERIOD   # the table, from those lines

Cost per million sign-ins on arm64 (us-east-1, first tier): duration billed per started
millisecond at $0.0000133334 per GB-second, plus $0.20 per million requests. Two columns:
the CPU-bound time measured here alone, and with WAIT_MS (default 15: three sequential
DynamoDB/KMS round trips of ~5 ms, scripts/round-trips.sh) added, since a deployed function
is billed while it waits too.
"""
import http.client
import json
import math
import os
import statistics
import sys
import time
from urllib.parse import urlsplit

PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_REQUEST = 0.20 / 1_000_000


def measure(base, memory_mb, runs):
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    body = "username=johndoe&password=secret&scope=me"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    took = []
    for i in range(runs + 3):
        started = time.perf_counter()
        connection.request("POST", "/token", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"lambda_sizing.py: POST /token answered {response.status}: {data[:200]!r}")
        if i >= 3:  # the first few warm the process
            took.append(elapsed * 1000)
    took.sort()
    return {
        "memory_mb": memory_mb,
        "runs": runs,
        "p50_ms": round(statistics.median(took), 2),
        "p99_ms": round(took[min(len(took) - 1, math.ceil(0.99 * len(took)) - 1)], 2),
        "mean_ms": round(statistics.fmean(took), 2),
    }


def cost_per_million(memory_mb, duration_ms):
    billed_seconds = math.ceil(duration_ms) / 1000
    return 1_000_000 * (billed_seconds * memory_mb / 1024 * PRICE_PER_GB_SECOND + PRICE_PER_REQUEST)


def table(path, period_us):
    wait = float(os.environ.get("WAIT_MS", "15"))
    rows = [json.loads(line) for line in open(path) if line.strip()]
    print(f"POST /token (password grant, sequential) under a CPU quota of memory/1769 vCPU "
          f"(period {int(period_us) // 1000} ms): a simulation of Lambda's share on this machine")
    print(f"{'memory':>8} {'vCPU':>5} {'p50':>9} {'p99':>9} {'$/M sign-ins':>13} "
          f"{'$/M with ' + str(int(wait)) + ' ms AWS waits':>26}")
    for r in rows:
        mb = r["memory_mb"]
        print(f"{mb:>5} MB {mb / 1769:>5.2f} {r['p50_ms']:>7.1f}ms {r['p99_ms']:>7.1f}ms "
              f"{cost_per_million(mb, r['mean_ms']):>12.2f}$ "
              f"{cost_per_million(mb, r['mean_ms'] + wait):>25.2f}$")


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))

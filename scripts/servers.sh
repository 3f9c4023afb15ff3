# Sourced by the scripts that start local servers (with-moto.sh, docs-checks.sh,
# load-test.sh, smoke-cargo-lambda.sh): a free port, and a bounded wait for a server to answer.

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until_answering NAME PID LOG SECONDS PROBE...: runs PROBE (a command that must bound its
# own wait, e.g. `curl --max-time`) until it succeeds. Fails with the end of LOG if the server
# (PID) exits first or SECONDS pass.
wait_until_answering() {
  local name="$1" pid="$2" log="$3" seconds="$4"; shift 4
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it answered; the end of its log ($log):" >&2
    elif (( SECONDS >= deadline )); then
      echo "$name did not answer within $seconds s; the end of its log ($log):" >&2
    else
      sleep 0.2
      continue
    fi
    tail -n 60 "$log" >&2
    return 1
  done
}

# Local `authctl serve` runs of a script (docs-checks.sh, client-checks.sh): started with
# serve_authctl, stopped by stop_servers (the caller's EXIT trap).
AUTHCTL_PIDS=()

# stop_servers: stops every server serve_authctl started.
stop_servers() {
  for pid in ${AUTHCTL_PIDS[@]+"${AUTHCTL_PIDS[@]}"}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# serve_authctl NAME LOG [VAR=value...]: `$AUTHCTL serve` on a free port, in this shell (so the
# EXIT trap stops it), with VARs set; sets BASE to its URL once it answers (discovery).
serve_authctl() {
  local name="$1" log="$2"; shift 2
  local port
  port="$(free_port)"
  env "$@" "$AUTHCTL" serve --port "$port" >"$log" 2>&1 &
  AUTHCTL_PIDS+=($!)
  BASE="http://127.0.0.1:$port"
  wait_until_answering "$name: authctl serve" "$!" "$log" 30 \
    curl -fs --max-time 5 -o /dev/null "$BASE/.well-known/openid-configuration"
}

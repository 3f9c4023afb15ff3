//! One probe of a function binary: a fresh process pointed at the stub, timed to its first
//! answer ([`probe_once`]), or held for many answers and measured for memory
//! ([`peak_memory`]).

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::stub::{Run, Stub};

/// `binary` as Lambda starts it: a fresh process with only `env`, its output discarded.
fn spawn(binary: &Path, env: &HashMap<String, String>) -> Result<tokio::process::Child> {
    tokio::process::Command::new(binary)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {}", binary.display()))
}

/// Polls the stub's record of `child`'s run until `done` finds what it waits for, the process
/// reports an error or exits, or `limit` passes; then ends the process.
async fn until<T>(
    stub: &Stub,
    child: &mut tokio::process::Child,
    binary: &Path,
    limit: Duration,
    mut done: impl FnMut(&Run) -> Result<Option<T>>,
) -> Result<T> {
    let waited = Instant::now();
    let outcome = loop {
        {
            let run = stub.run.lock().unwrap();
            if let Some(error) = &run.error {
                break Err(anyhow::anyhow!(
                    "{} reported an error: {error}",
                    binary.display()
                ));
            }
            match done(&run) {
                Ok(Some(found)) => break Ok(found),
                Ok(None) => {}
                Err(err) => break Err(err),
            }
        }
        if let Ok(Some(exit)) = child.try_wait() {
            break Err(anyhow::anyhow!(
                "{} exited ({exit}) before answering",
                binary.display()
            ));
        }
        if waited.elapsed() > limit {
            break Err(anyhow::anyhow!(
                "{} did not answer within {limit:?}",
                binary.display()
            ));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    child.kill().await.ok();
    outcome
}

/// What one cold start measured.
pub(crate) struct Sample {
    pub(crate) init: Duration,
    pub(crate) first_response: Duration,
    pub(crate) aws_requests: u32,
}

/// One fresh process of `binary` answering `event` with `status`, having made no AWS request
/// while it started.
pub(crate) async fn probe_once(
    stub: &Stub,
    binary: &Path,
    env: &HashMap<String, String>,
    event: &Value,
    status: u16,
    must_say: Option<&str>,
) -> Result<Sample> {
    *stub.run.lock().unwrap() = Run {
        event: event.clone(),
        ..Run::default()
    };
    let started = Instant::now();
    let mut child = spawn(binary, env)?;
    let outcome = until(stub, &mut child, binary, Duration::from_secs(30), |run| {
        Ok(match (run.first_next, &run.response) {
            (Some(first_next), Some((answered, response))) => Some((
                first_next,
                *answered,
                response.clone(),
                run.aws_requests,
                run.aws_requests_during_init,
            )),
            _ => None,
        })
    })
    .await;
    let (first_next, answered, response, aws_requests, during_init) = outcome?;
    let answered_status = response.get("statusCode").and_then(Value::as_u64);
    let body = response
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if answered_status != Some(u64::from(status)) || must_say.is_some_and(|s| !body.contains(s)) {
        bail!("{} answered {response}", binary.display());
    }
    if during_init > 0 {
        bail!(
            "{} made {during_init} AWS requests while it started",
            binary.display()
        );
    }
    Ok(Sample {
        init: first_next - started,
        first_response: answered - started,
        aws_requests,
    })
}

/// The peak resident memory (`VmHWM`, KiB) of one process of `binary` after it answered
/// `event` `invocations` times in a row, one at a time as Lambda hands them out, each with
/// `status`.
pub(crate) async fn peak_memory(
    stub: &Stub,
    binary: &Path,
    env: &HashMap<String, String>,
    event: &Value,
    status: u16,
    invocations: u32,
) -> Result<u64> {
    *stub.run.lock().unwrap() = Run {
        event: event.clone(),
        invocations,
        ..Run::default()
    };
    let mut child = spawn(binary, env)?;
    let pid = child.id().context("the process's id")?;
    let outcome = until(stub, &mut child, binary, Duration::from_secs(120), |run| {
        if run.answers < invocations {
            return Ok(None);
        }
        // Read while the process waits for its next event, before it is ended.
        let status_file = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        Ok(Some((status_file, run.last_response.clone())))
    })
    .await;
    let (status_file, last) = outcome?;
    let last_status = last
        .as_ref()
        .and_then(|r| r.get("statusCode"))
        .and_then(Value::as_u64);
    if last_status != Some(u64::from(status)) {
        bail!(
            "{} answered {last:?} at invocation {invocations}",
            binary.display()
        );
    }
    status_file
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmHWM in /proc/PID/status")
}

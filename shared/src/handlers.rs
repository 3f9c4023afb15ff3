//! The four endpoints as plain async functions over a borrowed [`AppState`]. Lambda `main`s and
//! the local server both call [`handle`]; neither adds behaviour of its own.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use crate::errors::ApiError;
use crate::http::{
    bearer_token, error_response, is_form_urlencoded, json_response, token_response,
};
use crate::lockout;
use crate::passwords;
use crate::router::Route;
use crate::scopes::ScopeSet;
use crate::state::AppState;
use crate::tokens::MAX_CLIENT_ID_LEN;
use crate::users::{unix_now, User, Username};

/// Largest `/token` body read; a real one is a few hundred bytes.
pub const MAX_FORM_BYTES: usize = 8 * 1024;
/// Longest bearer token looked at; ours are well under 1 KiB.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// [`handle`] in the shape `lambda_http::run` takes, for the function serving `route`. A
/// request for another path (API Gateway's catch-all `$default` route goes to the status
/// function) gets the JSON 404/405 the local server gives. It never returns `Err`: a failed
/// request is an error response, not a failed invocation.
pub async fn handle_lambda(
    route: Route,
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let for_this_route = Route::from_path(request.uri().path()) == Some(route);
    Ok(if for_this_route {
        handle(route, state, request).await
    } else {
        dispatch(state, request).await
    })
}

/// Answers a request for any path: the route it names, or a JSON 404.
pub async fn dispatch(state: &AppState, request: Request) -> Response<Body> {
    match Route::from_path(request.uri().path()) {
        Some(route) => handle(route, state, request).await,
        None => error_response(&ApiError::NotFound),
    }
}

/// Answers one request for `route`. Never fails: every error is a JSON response.
pub async fn handle(route: Route, state: &AppState, request: Request) -> Response<Body> {
    let outcome = if request.method().as_str() != route.method() {
        Err(ApiError::MethodNotAllowed {
            allow: route.method(),
        })
    } else {
        match route {
            Route::Token => token(state, &request).await,
            Route::UsersMe => users_me(state, &request).await,
            Route::UsersMeItems => users_me_items(state, &request).await,
            Route::Status => status(state, &request).await,
        }
    };
    outcome.unwrap_or_else(|err| {
        log_refusal(route, &err);
        error_response(&err)
    })
}

fn log_refusal(route: Route, err: &ApiError) {
    let route = route.path();
    match err {
        ApiError::Unavailable { reason } => {
            tracing::error!(route, %reason, "user store unavailable")
        }
        ApiError::InvalidToken { reason, .. } => tracing::info!(route, %reason, "token refused"),
        other => tracing::info!(route, error = %other, "request refused"),
    }
}

/// The RFC 6749 §4.3.2 request. Unknown fields are ignored (§3.2); a repeated field is an error
/// (§3.1), which serde reports as a duplicate field.
#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
}

/// A token request that has passed every syntactic check.
struct PasswordGrant {
    username: Username,
    password: String,
    scope: ScopeSet,
    client_id: Option<String>,
}

fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::InvalidRequest(message.into())
}

fn parse_password_grant(request: &Request) -> Result<PasswordGrant, ApiError> {
    if !is_form_urlencoded(request.headers()) {
        return Err(invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let body: &[u8] = request.body();
    if body.len() > MAX_FORM_BYTES {
        return Err(ApiError::body_too_large(MAX_FORM_BYTES));
    }
    if std::str::from_utf8(body).is_err() {
        return Err(invalid_request("request body is not valid UTF-8"));
    }
    let form: TokenForm = serde_urlencoded::from_bytes(body)
        .map_err(|e| invalid_request(format!("unreadable form body: {e}")))?;
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    let given = |value: Option<String>| value.filter(|v| !v.is_empty());
    let form = TokenForm {
        grant_type: given(form.grant_type),
        username: given(form.username),
        password: given(form.password),
        scope: given(form.scope),
        client_id: given(form.client_id),
    };

    match form.grant_type.as_deref() {
        None | Some("password") => {}
        Some(other) => {
            let shown: String = other.chars().take(64).collect();
            return Err(ApiError::UnsupportedGrantType(shown));
        }
    }
    let username = match form.username.as_deref() {
        None => return Err(invalid_request("missing required field: username")),
        Some(name) => Username::parse(name).map_err(|e| invalid_request(e.to_string()))?,
    };
    let password = match form.password {
        None => return Err(invalid_request("missing required field: password")),
        Some(password) => {
            passwords::check_password_rules(&password)
                .map_err(|e| invalid_request(e.to_string()))?;
            password
        }
    };
    let scope = ScopeSet::parse(form.scope.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::InvalidScope(e.to_string()))?;
    let client_id = match form.client_id {
        None => None,
        Some(id) if id.len() <= MAX_CLIENT_ID_LEN && id.chars().all(|c| c.is_ascii_graphic()) => {
            Some(id)
        }
        Some(_) => {
            return Err(invalid_request(format!(
                "client_id must be 1 to {MAX_CLIENT_ID_LEN} visible ASCII characters"
            )))
        }
    };
    Ok(PasswordGrant {
        username,
        password,
        scope,
        client_id,
    })
}

/// `POST /token`: the password grant. Every well-formed request costs the same work whether
/// the user exists, is disabled or is locked: one read, one Argon2 verification (against a
/// dummy hash when there is nothing real to check) and one write (clearing or counting
/// failures; for an unknown user a conditional write that creates nothing), so neither the
/// answer nor its timing says which usernames exist.
async fn token(state: &AppState, request: &Request) -> Result<Response<Body>, ApiError> {
    let grant = parse_password_grant(request)?;
    let now = unix_now();
    let user = state.store.get(&grant.username).await?;

    let locked = user
        .as_ref()
        .is_some_and(|u| lockout::is_locked(u.failed_logins, u.last_failed_login, now));
    let stored_hash = user
        .as_ref()
        .filter(|_| !locked)
        .map(|u| u.password_hash.clone());
    let password_ok = passwords::verify_password(grant.password.clone(), stored_hash).await;

    match user {
        Some(user) if password_ok && !user.disabled => {
            after_successful_sign_in(state, &user, &grant.password).await;
            let granted = grant.scope.intersection(&user.allowed_scopes);
            let issued = state
                .tokens
                .issue(&user.username, &granted, grant.client_id.as_deref())
                .map_err(|e| ApiError::Unavailable {
                    reason: format!("signing failed: {e}"),
                })?;
            tracing::info!(username = %user.username, requested = %grant.scope, granted = %granted, "token issued");
            Ok(token_response(&issued))
        }
        user => {
            let reason = match &user {
                None => "unknown user",
                Some(_) if locked => "account locked",
                Some(_) if password_ok => "user disabled",
                Some(_) => "wrong password",
            };
            // A failed write must not change the answer, or it would tell users apart.
            let failures = state
                .store
                .record_login_failure(&grant.username, now)
                .await
                .unwrap_or_else(|err| {
                    tracing::error!(error = %err, "could not count a failed sign-in");
                    None
                });
            match user {
                Some(user) => {
                    tracing::warn!(username = %user.username, failures, reason, "sign-in refused")
                }
                // Not the name itself: people type passwords into the username field.
                None => tracing::warn!(
                    username_len = grant.username.as_str().len(),
                    reason,
                    "sign-in refused"
                ),
            }
            Err(ApiError::InvalidGrant)
        }
    }
}

/// Clears the failure count (always, so success costs the same write as failure) and upgrades
/// a hash made at other parameters. Neither may cost the user their token, so failures are
/// logged, not returned.
async fn after_successful_sign_in(state: &AppState, user: &User, password: &str) {
    if let Err(err) = state.store.clear_login_failures(&user.username).await {
        tracing::error!(username = %user.username, error = %err, "could not clear failed sign-ins");
    }
    if passwords::needs_rehash(&user.password_hash) {
        let rehashed = match passwords::hash_password(password.to_owned()).await {
            Ok(hash) => state
                .store
                .set_password_hash(&user.username, &hash)
                .await
                .map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        };
        match rehashed {
            Ok(()) => {
                tracing::info!(username = %user.username, "password re-hashed at current parameters")
            }
            Err(error) => {
                tracing::error!(username = %user.username, %error, "password re-hash failed")
            }
        }
    }
}

/// Authenticates the bearer token and authorizes it for `route`: the token must be valid, its
/// user must exist and be enabled, and the route's scopes must be both in the token and still
/// allowed for the user (a scope withdrawn after issue stops working at once).
async fn authorize(state: &AppState, request: &Request, route: Route) -> Result<User, ApiError> {
    let required = route.required_scopes();
    let token = bearer_token(request.headers()).ok_or(ApiError::NotAuthenticated)?;
    let invalid = |reason: String| ApiError::InvalidToken {
        required: required.clone(),
        reason,
    };
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid("token too long".into()));
    }
    let claims = state
        .tokens
        .verify(token)
        .map_err(|e| invalid(e.to_string()))?;
    let user = state
        .store
        .get(&claims.sub)
        .await?
        .ok_or_else(|| invalid(format!("user `{}` no longer exists", claims.sub)))?;
    if user.disabled {
        return Err(ApiError::InactiveUser { required });
    }
    let effective = claims.scope.intersection(&user.allowed_scopes);
    if !effective.contains_all(&required) {
        return Err(ApiError::InsufficientScope { required });
    }
    Ok(user)
}

/// `GET /users/me/` (scope `me`).
async fn users_me(state: &AppState, request: &Request) -> Result<Response<Body>, ApiError> {
    let user = authorize(state, request, Route::UsersMe).await?;
    Ok(json_response(StatusCode::OK, &user.profile()))
}

/// `GET /users/me/items/` (scopes `me` and `items`).
async fn users_me_items(state: &AppState, request: &Request) -> Result<Response<Body>, ApiError> {
    let user = authorize(state, request, Route::UsersMeItems).await?;
    Ok(json_response(StatusCode::OK, &user.owned_items()))
}

/// `GET /status/` (any valid token).
async fn status(state: &AppState, request: &Request) -> Result<Response<Body>, ApiError> {
    authorize(state, request, Route::Status).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"status": "ok"}),
    ))
}

//! The API's routes: what each Lambda function serves, and how the local server dispatches.

use crate::scopes::{Scope, ScopeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /token`
    Token,
    /// `GET /users/me/`
    UsersMe,
    /// `GET /users/me/items/`
    UsersMeItems,
    /// `GET /status/`
    Status,
}

impl Route {
    pub const ALL: [Route; 4] = [
        Route::Token,
        Route::UsersMe,
        Route::UsersMeItems,
        Route::Status,
    ];

    /// The production path, as the FastAPI tutorial spells it.
    pub fn path(self) -> &'static str {
        match self {
            Route::Token => "/token",
            Route::UsersMe => "/users/me/",
            Route::UsersMeItems => "/users/me/items/",
            Route::Status => "/status/",
        }
    }

    /// The one method the route answers (also the `Allow` header of a 405).
    pub fn method(self) -> &'static str {
        match self {
            Route::Token => "POST",
            _ => "GET",
        }
    }

    /// Scopes a token must carry (and its user must still be allowed) to use the route. The
    /// token endpoint takes no bearer token; its set is empty.
    pub fn required_scopes(self) -> ScopeSet {
        match self {
            Route::UsersMe => ScopeSet::from([Scope::Me]),
            Route::UsersMeItems => ScopeSet::from([Scope::Me, Scope::Items]),
            Route::Token | Route::Status => ScopeSet::empty(),
        }
    }

    /// Finds the route for a request path, with or without the trailing slash.
    pub fn from_path(path: &str) -> Option<Route> {
        let wanted = path.strip_suffix('/').unwrap_or(path);
        Route::ALL
            .into_iter()
            .find(|route| route.path().trim_end_matches('/') == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_and_without_trailing_slash() {
        for route in Route::ALL {
            let path = route.path();
            assert_eq!(Route::from_path(path), Some(route));
            let other = match path.strip_suffix('/') {
                Some(bare) => bare.to_owned(),
                None => format!("{path}/"),
            };
            assert_eq!(Route::from_path(&other), Some(route), "{other}");
        }
    }

    #[test]
    fn other_paths_do_not_match() {
        for path in [
            "/",
            "",
            "/users",
            "/users/me//",
            "/token/x",
            "/STATUS",
            "/users/me/items/1",
        ] {
            assert_eq!(Route::from_path(path), None, "{path}");
        }
    }
}

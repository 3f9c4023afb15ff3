//! Each endpoint's handlers as a type, for the Lambda functions. A function's `main` names
//! only its own ([`super::lambda::run_function::<Docs>`]), so its binary links only its own
//! handlers: the token function carries no Swagger UI, the docs function no Argon2 call path.

use axum::routing::MethodRouter;
use axum::Router;

use super::Endpoint;
use crate::app::AppState;

/// The handlers of one endpoint.
pub trait Function {
    const ENDPOINT: Endpoint;
    fn routes() -> MethodRouter<AppState>;
}

macro_rules! functions {
    ($($name:ident => $module:ident,)*) => {
        $(
            #[doc = concat!("The handlers of [`Endpoint::", stringify!($name), "`].")]
            pub struct $name;

            impl Function for $name {
                const ENDPOINT: Endpoint = Endpoint::$name;
                fn routes() -> MethodRouter<AppState> {
                    super::$module::routes()
                }
            }
        )*

        impl Endpoint {
            /// The endpoint's handlers, by method (every endpoint's: `authctl serve`, tests).
            pub(super) fn routes(self) -> MethodRouter<AppState> {
                match self {
                    $(Endpoint::$name => $name::routes(),)*
                }
            }
        }

        /// The router the Lambda function of `endpoint` runs (its `main` names the type), for
        /// tests that drive each function as deployed. Links every endpoint's handlers: no
        /// function calls it.
        pub fn router_of_function(endpoint: Endpoint, state: AppState) -> Router {
            match endpoint {
                $(Endpoint::$name => super::function_router::<$name>(state),)*
            }
        }
    };
}

functions! {
    Token => token,
    UsersMe => users_me,
    UsersMeItems => users_me_items,
    Status => status,
    Revoke => revoke,
    Introspect => introspect,
    Jwks => jwks,
    OpenIdConfiguration => openid_configuration,
    OpenApi => openapi,
    Docs => docs,
    Authorize => authorize,
}

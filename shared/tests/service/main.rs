//! Every integration test of the library, in one binary (each extra test binary would link
//! the whole AWS SDK again). Behaviour tests run on the in-memory store and on DynamoDB
//! through a real DynamoDB-compatible server (moto, started by `scripts/test.sh`); the HTTP
//! ones also run once through a real local server on a random port.

mod support;

mod api_docs;
mod attempt_store;
mod authorization_code;
mod client_authentication;
mod client_grants;
mod code_store;
mod deployment_routes;
mod hostile_tokens;
mod introspection;
mod lockout;
mod logs;
mod protected_endpoints;
mod refresh_tokens;
mod revocation;
mod sample_events;
mod sign_in_cost;
mod sign_in_page;
mod signing_keys;
mod store_faults;
mod template_permissions;
mod token_endpoint;
mod user_store;

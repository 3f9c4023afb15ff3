//! `authctl` as an operator runs it: the zero-setup local server, every user, client, key, table
//! and token command against a real DynamoDB- and KMS-compatible server (moto), exit codes, and
//! configuration refusals.

//! One test binary; one module per command group.

mod support;

mod clients;
mod keys;
mod serve;
mod tables;
mod token;
mod users;

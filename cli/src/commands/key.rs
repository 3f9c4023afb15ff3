//! `authctl key ...`: the signing key set. Rotation is one command: a new KMS key is created
//! (or named), published now, and signs after the publish lead; the key it replaces stops
//! signing then and leaves the JWKS once its last token has expired. Keys that have left the
//! set are pruned, and their KMS keys scheduled for deletion.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::InputError;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, OriginType, Tag};
use serde::Serialize;
use token_service::clock::{Clock as _, SystemClock, UnixSeconds};
use token_service::config::{DEFAULT_KEYS_TABLE, MAX_TTL_SECONDS};
use token_service::keys::store::{update_key_set, DynamoKeySetStore, FileKeySetStore, UpdateError};
use token_service::keys::{
    signing_key_policy, KeyId, KeyLocation, KeyRecord, KeySetError, KeySetStore, KeyState,
    Retirement, RotationPolicy, KMS_TAG_KEY,
};
use token_service::store::dynamodb_client;
use token_service::tokens::signer::kms_public_key;
use token_service::tokens::{SignError, LEEWAY_SECONDS};

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the keys of the set with what each is doing now.
    List(ListArgs),
    /// Start a rotation: publish a new KMS key now; it signs after --publish-lead.
    Rotate(RotateArgs),
    /// Stop a key signing now; its tokens verify until they expire (or not at all with --now).
    Retire(RetireArgs),
    /// Print the JWKS the service publishes now.
    Jwks(SetArgs),
    /// Create the keys table (local and test servers; in AWS the SAM template owns it).
    CreateTable(SetArgs),
}

/// Which key set a command works on.
#[derive(clap::Args)]
pub struct SetArgs {
    /// DynamoDB table holding the key set.
    #[arg(long = "keys-table", env = "KEYS_TABLE", default_value = DEFAULT_KEYS_TABLE)]
    table: String,
    /// A local key set file instead of the table (cargo lambda watch).
    #[arg(long, env = "KEY_SET_FILE", conflicts_with = "table")]
    key_set_file: Option<PathBuf>,
}

impl SetArgs {
    async fn store(&self) -> Arc<dyn KeySetStore> {
        match &self.key_set_file {
            Some(path) => Arc::new(FileKeySetStore::new(path)),
            None => Arc::new(self.dynamodb().await),
        }
    }

    async fn dynamodb(&self) -> DynamoKeySetStore {
        let aws = aws_config::load_from_env().await;
        DynamoKeySetStore::new(dynamodb_client(&aws), &self.table)
    }
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    set: SetArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RotateArgs {
    #[command(flatten)]
    set: SetArgs,
    /// Use this existing KMS key (ARN or id) instead of creating one.
    #[arg(long)]
    kms_key_id: Option<String>,
    /// The deployment's tag value (the stack name) for a key created here; the token
    /// function may sign only with keys that carry it.
    #[arg(long, env = "SIGNING_KEY_TAG")]
    tag: Option<String>,
    /// The token function's role (the stack's TokenFunctionRoleArn output): the key policy
    /// of a key created here denies `kms:Sign` to every other principal, as the template's
    /// first key does.
    #[arg(long, env = "TOKEN_FUNCTION_ROLE_ARN")]
    token_role_arn: Option<String>,
    /// Seconds the new key is published before it signs (API Gateway caches keys up to 1 h).
    #[arg(long, default_value_t = 3600)]
    publish_lead: u32,
    /// Seconds a replaced key stays published after it stops signing: at least the longest
    /// access-token lifetime.
    #[arg(long, default_value_t = keep_published_default())]
    keep_published: u32,
    /// Keep the KMS keys of keys that left the set instead of scheduling their deletion.
    #[arg(long)]
    keep_removed_kms_keys: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RetireArgs {
    #[command(flatten)]
    set: SetArgs,
    /// The key's `kid`: a base64url thumbprint, which may begin with `-` (one in 64).
    #[arg(allow_hyphen_values = true)]
    kid: String,
    /// Remove the key from the JWKS at once: every token it signed stops verifying
    /// (a compromised key).
    #[arg(long)]
    now: bool,
    /// Allow retiring the last key that can sign (the token endpoint answers 503 until a
    /// rotation adds one).
    #[arg(long)]
    force: bool,
    #[arg(long, default_value_t = keep_published_default())]
    keep_published: u32,
    #[arg(long)]
    json: bool,
}

const fn keep_published_default() -> u32 {
    MAX_TTL_SECONDS as u32 + LEEWAY_SECONDS as u32
}

pub async fn run(command: Command) -> Result<()> {
    match command {
        Command::List(args) => list(args).await,
        Command::Rotate(args) => rotate(args).await,
        Command::Retire(args) => retire(args).await,
        Command::Jwks(set) => {
            let now = SystemClock.now();
            let keys = set.store().await.load().await?;
            println!("{}", serde_json::to_string_pretty(&keys.jwks(now))?);
            Ok(())
        }
        Command::CreateTable(set) => {
            set.dynamodb().await.create_table().await?;
            eprintln!("table `{}` is ready", set.table);
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct KeyView<'a> {
    kid: &'a KeyId,
    state: KeyState,
    #[serde(flatten)]
    location: &'a KeyLocation,
    created_at: UnixSeconds,
    signs_from: UnixSeconds,
    signs_until: Option<UnixSeconds>,
    published_until: Option<UnixSeconds>,
}

fn view(key: &KeyRecord, now: UnixSeconds) -> KeyView<'_> {
    KeyView {
        kid: &key.kid,
        state: key.state(now),
        location: &key.location,
        created_at: key.created_at,
        signs_from: key.signs_from,
        signs_until: key.signs_until,
        published_until: key.published_until,
    }
}

async fn list(args: ListArgs) -> Result<()> {
    let now = SystemClock.now();
    let set = args.set.store().await.load().await?;
    let views: Vec<_> = set.keys.iter().map(|key| view(key, now)).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&views)?);
        return Ok(());
    }
    if views.is_empty() {
        eprintln!("the key set is empty");
    }
    for key in views {
        let location = match key.location {
            KeyLocation::Kms { key_id } => key_id.as_str(),
            KeyLocation::Local => "local",
        };
        println!(
            "{}  {:<8} signs from {} until {}  published until {}  {location}",
            key.kid,
            format!("{:?}", key.state).to_lowercase(),
            key.signs_from,
            key.signs_until.map_or("-".into(), |t| t.to_string()),
            key.published_until.map_or("-".into(), |t| t.to_string()),
        );
    }
    Ok(())
}

async fn rotate(args: RotateArgs) -> Result<()> {
    let aws = aws_config::load_from_env().await;
    let kms = aws_sdk_kms::Client::new(&aws);
    let store = args.set.store().await;
    // Refuse before creating anything: a refused rotation leaves no orphan KMS key.
    let now = SystemClock.now();
    if let Some(pending) = store
        .load()
        .await?
        .keys
        .iter()
        .find(|k| k.state(now) == KeyState::Pending)
    {
        return Err(KeySetError::RotationInProgress {
            kid: pending.kid.clone(),
            signs_from: pending.signs_from,
        }
        .into());
    }
    let key_id = match &args.kms_key_id {
        Some(id) => {
            check_tag(&kms, id, args.tag.as_deref()).await?;
            id.clone()
        }
        None => {
            let Some(tag) = &args.tag else {
                return Err(InputError(
                    "a new KMS key needs --tag (or SIGNING_KEY_TAG): the stack name".into(),
                )
                .into());
            };
            let Some(role) = &args.token_role_arn else {
                return Err(InputError(
                    "a new KMS key needs --token-role-arn (or TOKEN_FUNCTION_ROLE_ARN): the stack's TokenFunctionRoleArn output, the only role its policy lets sign".into(),
                )
                .into());
            };
            let policy = signing_key_policy(role).map_err(|e| InputError(e.to_string()))?;
            create_kms_key(&kms, tag, &policy.to_string()).await?
        }
    };
    let public = kms_public_key(&kms, &key_id)
        .await
        .with_context(|| format!("reading the public key of {key_id}"))?;
    let now = SystemClock.now();
    let record = KeyRecord::new(&public, KeyLocation::Kms { key_id }, now, now);
    let policy = RotationPolicy {
        publish_lead: i64::from(args.publish_lead),
        keep_published: i64::from(args.keep_published),
    };
    let (removed, set) = update_key_set(store.as_ref(), |set| {
        let removed = set.prune(now);
        let pending = set.keys.iter().any(|k| k.state(now) == KeyState::Pending);
        if set.signing_key(now).is_none() && !pending {
            // Nothing signs (a new deployment, or the last key was retired): there is no
            // handover to wait for, so the new key signs at once.
            set.bootstrap(record.clone(), now)?;
        } else {
            set.rotate(record.clone(), now, policy)?;
        }
        Ok::<_, KeySetError>(removed)
    })
    .await
    .map_err(update_error)?;
    let added = set.find(&record.kid).expect("just added");
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view(added, now))?);
    } else {
        println!(
            "{}  published now, signs from {} (in {} s)",
            added.kid,
            added.signs_from,
            added.signs_from - now
        );
    }
    for key in removed {
        eprintln!("{} left the key set", key.kid);
        if let (KeyLocation::Kms { key_id }, false) = (&key.location, args.keep_removed_kms_keys) {
            kms.schedule_key_deletion()
                .key_id(key_id)
                .pending_window_in_days(30)
                .send()
                .await
                .map_err(kms_error)
                .with_context(|| format!("scheduling the deletion of {key_id}"))?;
            eprintln!("  KMS key {key_id} scheduled for deletion in 30 days");
        }
    }
    Ok(())
}

/// An existing key must carry the deployment's tag, or the token function may not sign
/// with it (its `kms:Sign` is conditioned on the tag).
async fn check_tag(kms: &aws_sdk_kms::Client, key_id: &str, tag: Option<&str>) -> Result<()> {
    let Some(tag) = tag else {
        return Err(InputError(
            "--kms-key-id needs --tag (or SIGNING_KEY_TAG) to check that the token function may sign with it".into(),
        )
        .into());
    };
    let tags = kms
        .list_resource_tags()
        .key_id(key_id)
        .send()
        .await
        .map_err(kms_error)
        .with_context(|| format!("reading the tags of {key_id}"))?;
    let tagged = tags
        .tags()
        .iter()
        .any(|t| t.tag_key() == KMS_TAG_KEY && t.tag_value() == tag);
    if !tagged {
        return Err(InputError(format!(
            "{key_id} is not tagged {KMS_TAG_KEY}={tag}: the token function could not sign with it"
        ))
        .into());
    }
    Ok(())
}

/// A KMS failure, as the signer reports them (exit code 6: a store unavailable).
fn kms_error(err: impl std::error::Error + 'static) -> SignError {
    SignError::Kms(aws_sdk_kms::error::DisplayErrorContext(err).to_string())
}

async fn create_kms_key(kms: &aws_sdk_kms::Client, tag: &str, policy: &str) -> Result<String> {
    let created = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify)
        .policy(policy)
        // Sent explicitly: OperatorPolicy's conditions on them need them in the request.
        .origin(OriginType::AwsKms)
        .multi_region(false)
        .bypass_policy_lockout_safety_check(false)
        .description("token-service access-token signing key (RS256)")
        .tags(Tag::builder().tag_key(KMS_TAG_KEY).tag_value(tag).build()?)
        .send()
        .await
        .map_err(kms_error)
        .context("creating a KMS key")?;
    let metadata = created
        .key_metadata()
        .context("CreateKey returned no key")?;
    Ok(metadata.arn().unwrap_or(metadata.key_id()).to_owned())
}

async fn retire(args: RetireArgs) -> Result<()> {
    let now = SystemClock.now();
    let kid = KeyId::new(&args.kid);
    let store = args.set.store().await;
    let (outcome, set) = update_key_set(store.as_ref(), |set| {
        set.retire(
            &kid,
            now,
            i64::from(args.keep_published),
            args.now,
            args.force,
        )
    })
    .await
    .map_err(update_error)?;
    let retired = set.find(&kid).expect("retired, not removed");
    match retired.published_until {
        Some(until) if until <= now => eprintln!("{kid} retired and removed from the JWKS now"),
        Some(until) => eprintln!("{kid} signs no more; published until {until}"),
        None => eprintln!("{kid} signs no more"),
    }
    match outcome {
        Retirement::Retired => {}
        Retirement::RotationAborted => {
            eprintln!("its rotation is off: the keys it was to replace sign on")
        }
        Retirement::SuccessorSignsNow(successor) => {
            eprintln!("{successor}, the pending successor, signs from now")
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view(retired, now))?);
    }
    Ok(())
}

/// A key-set update's failure, keeping its cause for the exit code.
fn update_error(err: UpdateError<KeySetError>) -> anyhow::Error {
    err.into_error()
}

//! The key policy of a signing key, the same as the template gives its first key: the
//! account's IAM policies manage the key, but only the token function's role may sign.
//! Without it, anyone with `kms:Sign` on `*` in IAM (AdministratorAccess) could sign tokens.

use serde_json::{json, Value};

/// Sid of the statement that refuses `kms:Sign` to every other principal.
pub const ONLY_THE_TOKEN_FUNCTION_SIGNS: &str = "OnlyTheTokenFunctionSigns";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)")]
pub struct NotARoleArn(pub String);

/// The key policy for a signing key only `token_role_arn` may sign with. The account root
/// (the partition and account are the role's) keeps `kms:*`, so the key stays manageable
/// through IAM.
pub fn signing_key_policy(token_role_arn: &str) -> Result<Value, NotARoleArn> {
    let invalid = || NotARoleArn(token_role_arn.to_owned());
    let mut parts = token_role_arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    let name = resource.strip_prefix("role/").ok_or_else(invalid)?;
    if partition.is_empty()
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || name.is_empty()
        || name.ends_with('/')
        || token_role_arn
            .chars()
            .any(|c| c.is_whitespace() || c == '*' || c == '?')
    {
        return Err(invalid());
    }
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": ONLY_THE_TOKEN_FUNCTION_SIGNS,
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:Sign",
                "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": token_role_arn}}
            }
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/stack-TokenFunctionRole-ABC";

    #[test]
    fn the_root_manages_and_only_the_role_signs() {
        let policy = signing_key_policy(ROLE).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(
            statements[0]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:root"
        );
        assert_eq!(statements[0]["Action"], "kms:*");
        let deny = &statements[1];
        assert_eq!(deny["Sid"], ONLY_THE_TOKEN_FUNCTION_SIGNS);
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Principal"]["AWS"], "*");
        assert_eq!(deny["Action"], "kms:Sign");
        assert_eq!(
            deny["Condition"],
            json!({"ArnNotEquals": {"aws:PrincipalArn": ROLE}})
        );
        // Other partitions keep their own root.
        let china = signing_key_policy("arn:aws-cn:iam::123456789012:role/path/r").unwrap();
        assert_eq!(
            china["Statement"][0]["Principal"]["AWS"],
            "arn:aws-cn:iam::123456789012:root"
        );
    }

    #[test]
    fn anything_but_a_role_arn_is_refused() {
        for bad in [
            "",
            "TokenFunctionRole",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::12345:role/r",
            "arn:aws:sts::123456789012:assumed-role/r/session",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam:eu-west-1:123456789012:role/r",
        ] {
            assert_eq!(
                signing_key_policy(bad),
                Err(NotARoleArn(bad.to_owned())),
                "{bad}"
            );
        }
    }
}

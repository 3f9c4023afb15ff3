//! Usernames, parsed once where they enter the service.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A syntactically valid username: 1 to 64 characters of letters, digits and `._@+-`.
/// Checked once at the edge, so stores and logs never see arbitrary client bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUsername {
    #[error("username must not be empty")]
    Empty,
    #[error("username must be at most {max} characters", max = Username::MAX_LEN)]
    TooLong,
    #[error("username may only contain letters, digits and . _ @ + -")]
    BadCharacter,
}

impl Username {
    pub const MAX_LEN: usize = 64;
    /// The characters allowed besides ASCII letters and digits.
    pub const SYMBOLS: &'static str = "._@+-";

    pub fn parse(s: &str) -> Result<Self, InvalidUsername> {
        if s.is_empty() {
            return Err(InvalidUsername::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(InvalidUsername::TooLong);
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || Self::SYMBOLS.contains(c);
        if !s.chars().all(allowed) {
            return Err(InvalidUsername::BadCharacter);
        }
        Ok(Username(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Username {
    type Err = InvalidUsername;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Username::parse(s)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Username {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Username::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in ["johndoe", "alice", "a.b-c_d+e@example.com", "X9"] {
            assert_eq!(Username::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn rejects_empty_long_and_odd_names() {
        assert_eq!(Username::parse(""), Err(InvalidUsername::Empty));
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(InvalidUsername::TooLong)
        );
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        for bad in ["john doe", "john\0", "jöhn", "a/b", "<script>", "a\nb"] {
            assert_eq!(
                Username::parse(bad),
                Err(InvalidUsername::BadCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<Username>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<Username>("\"not ok\"").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any text: a username or a reason, never a panic.
            #[test]
            fn any_text_parses_or_is_refused(text in "\\PC{0,100}") {
                let _ = Username::parse(&text);
            }

            /// Exactly the allowed alphabet, 1 to 64 characters, is accepted and kept as is.
            #[test]
            fn allowed_names_round_trip(name in "[A-Za-z0-9._@+-]{1,64}") {
                let parsed = Username::parse(&name).unwrap();
                prop_assert_eq!(parsed.as_str(), name.as_str());
            }

            /// Any character outside the alphabet refuses the name.
            #[test]
            fn other_characters_are_refused(
                before in "[a-z]{0,10}",
                bad in "[^A-Za-z0-9._@+-]",
                after in "[a-z]{0,10}",
            ) {
                let name = format!("{before}{bad}{after}");
                prop_assert!(Username::parse(&name).is_err());
            }
        }
    }
}

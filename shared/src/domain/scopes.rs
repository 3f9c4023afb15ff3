//! OAuth2 scopes (RFC 6749 §3.3): a closed set of names, so a `ScopeSet` can never hold one
//! the service does not know.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A scope this service knows. Adding a variant here is the one place a new scope is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read information about the current user.
    Me,
    /// Read the current user's items.
    Items,
}

impl Scope {
    /// Every known scope, for listings and for granting "everything" to operators' users.
    pub const ALL: [Scope; 2] = [Scope::Me, Scope::Items];

    /// The scope's wire name, as it appears in `scope` parameters and claims.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Me => "me",
            Scope::Items => "items",
        }
    }

    /// What the scope lets a client do, as FastAPI's tutorial words it (the OpenAPI document
    /// and its Authorize dialog show it).
    pub fn description(self) -> &'static str {
        match self {
            Scope::Me => "Read information about the current user.",
            Scope::Items => "Read items.",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is not one of [`Scope::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    /// Scope names are case-sensitive (RFC 6749 §3.3).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(truncate_for_message(s)))
    }
}

/// Keeps error messages short when a client sends a huge scope token.
fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// A set of known scopes, ordered so its string form is stable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses a space-delimited `scope` parameter. Repeated spaces and repeated names are
    /// tolerated; any unknown name rejects the whole set.
    pub fn parse(s: &str) -> Result<Self, UnknownScope> {
        s.split(' ')
            .filter(|name| !name.is_empty())
            .map(Scope::from_str)
            .collect()
    }

    /// True when every scope of `required` is in `self`.
    pub fn contains_all(&self, required: &ScopeSet) -> bool {
        required.0.is_subset(&self.0)
    }

    /// The scopes both sets hold: what a user asked for and is allowed to have.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).copied().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in their canonical order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

impl<const N: usize> From<[Scope; N]> for ScopeSet {
    fn from(scopes: [Scope; N]) -> Self {
        scopes.into_iter().collect()
    }
}

/// Space-delimited, the form used by the `scope` parameter, claim and `WWW-Authenticate`.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

/// Serialized as the space-delimited string, as in the JWT `scope` claim (RFC 9068 §2.2.3).
impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ScopeSet::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_space_delimited_names_and_ignores_repeats() {
        let set = ScopeSet::parse("items  me items").unwrap();
        assert_eq!(set, ScopeSet::from([Scope::Me, Scope::Items]));
        assert_eq!(set.to_string(), "me items");
    }

    #[test]
    fn empty_string_is_the_empty_set() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
        assert!(ScopeSet::parse("   ").unwrap().is_empty());
    }

    #[test]
    fn unknown_or_differently_cased_names_are_rejected() {
        assert_eq!(
            ScopeSet::parse("me admin"),
            Err(UnknownScope("admin".into()))
        );
        assert!(ScopeSet::parse("ME").is_err());
    }

    #[test]
    fn long_unknown_names_are_truncated_in_the_error() {
        let err = ScopeSet::parse(&"x".repeat(10_000)).unwrap_err();
        assert!(err.0.chars().count() <= 65, "{}", err.0.len());
    }

    #[test]
    fn intersection_and_containment() {
        let asked = ScopeSet::from([Scope::Me, Scope::Items]);
        let allowed = ScopeSet::from([Scope::Me]);
        let granted = asked.intersection(&allowed);
        assert_eq!(granted, ScopeSet::from([Scope::Me]));
        assert!(asked.contains_all(&granted));
        assert!(!granted.contains_all(&asked));
        assert!(granted.contains_all(&ScopeSet::empty()));
    }

    #[test]
    fn serde_round_trip_uses_the_string_form() {
        let set = ScopeSet::from([Scope::Items, Scope::Me]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, "\"me items\"");
        assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), set);
        assert!(serde_json::from_str::<ScopeSet>("\"root\"").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn scope() -> impl Strategy<Value = Scope> {
            prop::sample::select(Scope::ALL.to_vec())
        }

        proptest! {
            /// Any text: a set or an `UnknownScope`, never a panic.
            #[test]
            fn any_text_parses_or_is_refused(text in "\\PC{0,200}") {
                let _ = ScopeSet::parse(&text);
            }

            /// Known names in any order, repeated, with any number of spaces, give the set of
            /// them, whose string form parses back to itself.
            #[test]
            fn known_names_round_trip(
                names in proptest::collection::vec(scope(), 0..8),
                gaps in proptest::collection::vec(1usize..4, 8),
            ) {
                let text: String = names
                    .iter()
                    .zip(&gaps)
                    .map(|(scope, gap)| format!("{}{}", scope.as_str(), " ".repeat(*gap)))
                    .collect();
                let set = ScopeSet::parse(&text).unwrap();
                let expected: ScopeSet = names.iter().copied().collect();
                prop_assert_eq!(&set, &expected);
                prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
            }

            /// One unknown name refuses the whole set.
            #[test]
            fn an_unknown_name_refuses_the_set(
                names in proptest::collection::vec(scope(), 0..4),
                unknown in "[a-z]{1,12}",
            ) {
                prop_assume!(Scope::ALL.iter().all(|s| s.as_str() != unknown));
                let mut text: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                text.push(&unknown);
                prop_assert!(ScopeSet::parse(&text.join(" ")).is_err());
            }
        }
    }
}

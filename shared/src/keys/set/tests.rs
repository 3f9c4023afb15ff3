use super::*;

const NOW: UnixSeconds = 1_800_000_000;
const POLICY: RotationPolicy = RotationPolicy {
    publish_lead: 3600,
    keep_published: 1800 + 60,
};

fn record(seed: u8) -> KeyRecord {
    // Distinct valid 2048-bit moduli without generating keys: the set never checks
    // that a modulus is a product of primes.
    let mut n = vec![0xc0 | seed; 256];
    n[255] = seed | 1;
    let jwk = PublicJwk {
        kty: "RSA".into(),
        key_use: None,
        alg: None,
        kid: None,
        n: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &n),
        e: "AQAB".into(),
    };
    let key = jwk.to_key().unwrap();
    KeyRecord::new(
        &key,
        KeyLocation::Kms {
            key_id: format!("key-{seed}"),
        },
        0,
        0,
    )
}

fn bootstrapped() -> (KeySet, KeyId) {
    let mut set = KeySet::default();
    let first = record(1);
    let kid = first.kid.clone();
    set.bootstrap(
        KeyRecord {
            created_at: NOW,
            ..first
        },
        NOW,
    )
    .unwrap();
    (set, kid)
}

#[test]
fn the_first_key_signs_at_once() {
    let (set, kid) = bootstrapped();
    assert_eq!(set.signing_key(NOW).unwrap().kid, kid);
    assert_eq!(set.published(NOW).count(), 1);
    assert_eq!(set.jwks(NOW).keys.len(), 1);
    assert!(set.signing_key(NOW - 1).is_none(), "not before it existed");
}

#[test]
fn rotation_publishes_first_then_hands_over_then_removes_the_old_key() {
    let (mut set, old) = bootstrapped();
    let new = record(2);
    let new_kid = new.kid.clone();
    set.rotate(new, NOW + 100, POLICY).unwrap();
    let handover = NOW + 100 + 3600;

    // Published at once, signing only from the handover.
    assert!(set.find_published(&new_kid, NOW + 100).is_some());
    assert_eq!(set.signing_key(handover - 1).unwrap().kid, old);
    assert_eq!(set.signing_key(handover).unwrap().kid, new_kid);
    assert_eq!(
        set.find(&new_kid).unwrap().state(NOW + 100),
        KeyState::Pending
    );

    // The old key verifies until its last token has expired, then leaves the set.
    let removal = handover + 1800 + 60;
    assert!(set.find_published(&old, removal - 1).is_some());
    assert_eq!(
        set.find(&old).unwrap().state(removal - 1),
        KeyState::Retired
    );
    assert!(set.find_published(&old, removal).is_none());
    assert_eq!(set.jwks(removal).keys.len(), 1);

    assert!(set.prune(removal - 1).is_empty());
    let pruned = set.prune(removal);
    assert_eq!(pruned.len(), 1);
    assert_eq!(pruned[0].kid, old);
    assert_eq!(set.keys.len(), 1);
}

#[test]
fn one_rotation_at_a_time_and_no_key_twice() {
    let (mut set, _) = bootstrapped();
    set.rotate(record(2), NOW, POLICY).unwrap();
    assert!(matches!(
        set.rotate(record(3), NOW + 3599, POLICY),
        Err(KeySetError::RotationInProgress { signs_from, .. }) if signs_from == NOW + 3600
    ));
    set.rotate(record(3), NOW + 3600, POLICY).unwrap();
    assert!(matches!(
        set.rotate(record(3), NOW + 99_999, POLICY),
        Err(KeySetError::AlreadyPresent(_))
    ));
    // The key that signed for an instant hands over in turn.
    assert_eq!(set.signing_key(NOW + 7200).unwrap().kid, record(3).kid);
}

#[test]
fn retiring_keeps_or_drops_tokens_and_protects_the_last_signing_key() {
    let (mut set, kid) = bootstrapped();
    assert_eq!(
        set.retire(&kid, NOW + 10, 1860, false, false),
        Err(KeySetError::LastSigningKey(kid.clone()))
    );
    assert_eq!(
        set.retire(&kid, NOW + 10, 1860, false, true),
        Ok(Retirement::Retired)
    );
    assert!(set.signing_key(NOW + 10).is_none());
    assert_eq!(set.find(&kid).unwrap().state(NOW + 10), KeyState::Retired);
    assert!(set.find_published(&kid, NOW + 10 + 1859).is_some());
    assert!(set.find_published(&kid, NOW + 10 + 1860).is_none());
    assert_eq!(
        set.retire(&KeyId::new("nope"), NOW, 0, true, true),
        Err(KeySetError::UnknownKey(KeyId::new("nope")))
    );
}

#[test]
fn retiring_a_compromised_key_brings_its_pending_successor_in_now() {
    let (mut set, kid) = bootstrapped();
    set.rotate(record(2), NOW, POLICY).unwrap();
    assert_eq!(
        set.retire(&kid, NOW + 5, 1860, true, false),
        Ok(Retirement::SuccessorSignsNow(record(2).kid))
    );
    assert!(set.find_published(&kid, NOW + 5).is_none());
    // No gap: the successor signs from that very second.
    assert_eq!(set.signing_key(NOW + 5).unwrap().kid, record(2).kid);
}

#[test]
fn retiring_a_pending_key_aborts_its_rotation() {
    let (mut set, kid) = bootstrapped();
    set.rotate(record(2), NOW, POLICY).unwrap();
    assert_eq!(
        set.retire(&record(2).kid, NOW + 5, 1860, true, false),
        Ok(Retirement::RotationAborted)
    );
    assert_eq!(
        set.find(&record(2).kid).unwrap().state(NOW + 5),
        KeyState::Removed
    );
    // The old key signs on past the would-be handover, and a new rotation may start.
    assert_eq!(set.signing_key(NOW + 3600 * 2).unwrap().kid, kid);
    assert!(set.find_published(&kid, NOW + 3600 * 24).is_some());
    set.rotate(record(3), NOW + 6, POLICY).unwrap();
    // Retired without removal, a pending key reports Retired, not Pending.
    let (mut set, _) = bootstrapped();
    set.rotate(record(2), NOW, POLICY).unwrap();
    set.retire(&record(2).kid, NOW + 5, 1860, false, false)
        .unwrap();
    assert_eq!(
        set.find(&record(2).kid).unwrap().state(NOW + 5),
        KeyState::Retired
    );
    set.rotate(record(3), NOW + 6, POLICY).unwrap();
}

#[test]
fn key_sets_round_trip_as_json() {
    let (mut set, _) = bootstrapped();
    set.rotate(record(2), NOW, POLICY).unwrap();
    let json = serde_json::to_string(&set).unwrap();
    assert_eq!(serde_json::from_str::<KeySet>(&json).unwrap(), set);
    assert!(json.contains(r#""kind":"kms""#), "{json}");
}

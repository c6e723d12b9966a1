//! The store against a real SQLite file in a temporary folder.

use super::*;
use crate::oauth::Tokens;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(
        &StoreLocation::File(dir.path().join("store.sqlite3")),
        StoreKey::from_base64(KEY).unwrap(),
    )
    .unwrap()
}

fn grant(user: &str) -> Grant {
    Grant {
        user_id: user.into(),
        client_id: "c1".into(),
        scope: "read write".into(),
        resource: "https://mcp.example.fr/mcp".into(),
    }
}

fn tokens(access: &str) -> Tokens {
    Tokens {
        access_token: access.into(),
        refresh_token: Some(format!("{access}-refresh")),
        expires_at: now_secs() + 3600,
        scope: "read_write".into(),
        client_id: "app".into(),
    }
}

#[test]
fn reopening_applies_no_migration_twice_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let user = store(&dir)
        .user_for_account("4217", "a@example.test")
        .unwrap();
    let again = store(&dir);
    assert_eq!(
        again.user_for_account("4217", "a@example.test").unwrap(),
        user
    );
    let versions = again
        .read(|db| db.rows("SELECT version FROM schema_migrations", &[]))
        .unwrap();
    assert_eq!(versions.len(), MIGRATIONS.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("store.sqlite3"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn upstream_tokens_are_sealed_at_rest_and_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let alice = store.user_for_account("1", "alice@example.test").unwrap();
    let bob = store.user_for_account("2", "bob@example.test").unwrap();
    assert_ne!(alice.id, bob.id);
    store
        .save_upstream_tokens(&alice.id, &tokens("alice-secret-token"))
        .unwrap();
    assert_eq!(
        store
            .upstream_tokens(&alice.id)
            .unwrap()
            .unwrap()
            .access_token,
        "alice-secret-token"
    );
    assert!(store.upstream_tokens(&bob.id).unwrap().is_none());
    drop(store);
    let file = std::fs::read(dir.path().join("store.sqlite3")).unwrap();
    let wal = std::fs::read(dir.path().join("store.sqlite3-wal")).unwrap_or_default();
    for bytes in [file, wal] {
        assert!(!bytes.windows(18).any(|w| w == b"alice-secret-token"));
    }
    // Copied into another user's row, the sealed value does not open.
    let store = self::store(&dir);
    let sealed = store
        .read(|db| {
            db.row(
                "SELECT sealed_tokens FROM upstream_grants WHERE user_id = $1",
                args![&alice.id],
            )
        })
        .unwrap()
        .unwrap()
        .bytes(0)
        .unwrap();
    store
        .write(|tx| {
            tx.execute(
                "INSERT INTO upstream_grants (user_id, sealed_tokens, updated_at) VALUES ($1, $2, 0)",
                args![&bob.id, &sealed],
            )?;
            Ok(())
        })
        .unwrap();
    assert!(store.upstream_tokens(&bob.id).is_err());
}

#[test]
fn codes_and_consent_forms_work_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let user = store.user_for_account("1", "a@example.test").unwrap();
    let asked = Asked {
        client_id: "c1".into(),
        redirect_uri: "http://127.0.0.1/cb".into(),
        code_challenge: "x".repeat(43),
        client_state: Some("s".into()),
        scope: "read".into(),
        resource: "https://mcp.example.fr/mcp".into(),
    };
    store.save_pending("form", "browser", &asked, 600).unwrap();
    assert!(
        store
            .take_pending("form", "another browser")
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.take_pending("form", "browser").unwrap(),
        Some(asked.clone())
    );
    assert!(store.take_pending("form", "browser").unwrap().is_none());
    store
        .save_upstream("up-state", "verifier", &asked, 600)
        .unwrap();
    assert_eq!(
        store.take_upstream("up-state").unwrap(),
        Some((asked.clone(), "verifier".into()))
    );
    assert!(store.take_upstream("up-state").unwrap().is_none());
    let code = CodeGrant {
        grant: grant(&user.id),
        redirect_uri: asked.redirect_uri.clone(),
        code_challenge: asked.code_challenge.clone(),
    };
    store.save_code("the-code", &code, 60).unwrap();
    assert_eq!(store.take_code("the-code").unwrap(), Some(code));
    assert!(store.take_code("the-code").unwrap().is_none());
}

#[test]
fn a_replayed_refresh_token_revokes_its_family_and_sign_out_ends_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let user = store.user_for_account("1", "a@example.test").unwrap();
    let grant = grant(&user.id);
    store
        .save_token("access-1", "access", "fam", &grant, 3600)
        .unwrap();
    store
        .save_token("refresh-1", "refresh", "fam", &grant, 3600)
        .unwrap();
    assert_eq!(store.access_grant("access-1").unwrap(), Some(grant.clone()));
    let RefreshUse::Fresh { family, .. } = store.use_refresh("refresh-1").unwrap() else {
        panic!("the first use is fresh");
    };
    // The rotation ends the previous access token.
    assert!(store.access_grant("access-1").unwrap().is_none());
    store
        .save_token("access-2", "access", &family, &grant, 3600)
        .unwrap();
    store
        .save_token("refresh-2", "refresh", &family, &grant, 3600)
        .unwrap();
    assert_eq!(
        store.use_refresh("refresh-1").unwrap(),
        RefreshUse::Replayed
    );
    assert!(store.access_grant("access-2").unwrap().is_none());
    assert_eq!(store.use_refresh("refresh-2").unwrap(), RefreshUse::Unknown);

    store
        .save_token("access-3", "access", "fam3", &grant, 3600)
        .unwrap();
    store.save_upstream_tokens(&user.id, &tokens("t")).unwrap();
    store.revoke("access-3", "another client").unwrap();
    assert!(store.access_grant("access-3").unwrap().is_some());
    store.sign_out_everywhere(&user.id).unwrap();
    assert!(store.access_grant("access-3").unwrap().is_none());
    assert!(store.upstream_tokens(&user.id).unwrap().is_none());
}

#[test]
fn expired_tokens_codes_and_forms_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let user = store.user_for_account("1", "a@example.test").unwrap();
    let grant = grant(&user.id);
    // A lifetime of 0 seconds ends at once.
    store.save_token("gone", "access", "f", &grant, 0).unwrap();
    store
        .save_token("gone-refresh", "refresh", "f", &grant, 0)
        .unwrap();
    assert!(store.access_grant("gone").unwrap().is_none());
    assert_eq!(
        store.use_refresh("gone-refresh").unwrap(),
        RefreshUse::Unknown
    );
    let code = CodeGrant {
        grant,
        redirect_uri: "http://127.0.0.1/cb".into(),
        code_challenge: "c".into(),
    };
    store.save_code("old-code", &code, 0).unwrap();
    assert!(store.take_code("old-code").unwrap().is_none());
    let asked = Asked {
        client_id: "c1".into(),
        redirect_uri: "http://127.0.0.1/cb".into(),
        code_challenge: "c".into(),
        client_state: None,
        scope: "read".into(),
        resource: "r".into(),
    };
    store.save_pending("form", "browser", &asked, 0).unwrap();
    assert!(store.take_pending("form", "browser").unwrap().is_none());
}

#[test]
fn a_confirmation_state_is_claimed_once_until_given_back() {
    let dir = tempfile::tempdir().unwrap();
    let expires = now_secs() + 600;
    assert!(store(&dir).claim_state("state-1", expires).unwrap());
    // Another process, or the same after a restart, sees it spent.
    let reopened = store(&dir);
    assert!(!reopened.claim_state("state-1", expires).unwrap());
    reopened.release_state("state-1").unwrap();
    assert!(reopened.claim_state("state-1", expires).unwrap());
}

#[test]
fn quota_slots_are_counted_per_account_across_reopenings() {
    let dir = tempfile::tempdir().unwrap();
    let quotas = Quotas {
        per_5_minutes: 2,
        per_day: 3,
    };
    let start = 1_800_000_000_000;
    let first = store(&dir);
    assert_eq!(
        first.take_quota_slot("a", quotas, start).unwrap(),
        Slot::Now
    );
    assert_eq!(
        first.take_quota_slot("a", quotas, start + 1000).unwrap(),
        Slot::Now
    );
    // Another account has its own count.
    assert_eq!(
        first.take_quota_slot("b", quotas, start + 1000).unwrap(),
        Slot::Now
    );
    // The window is full until the first request leaves it; another process sees the same.
    let second = store(&dir);
    assert_eq!(
        second.take_quota_slot("a", quotas, start + 2000).unwrap(),
        Slot::After(std::time::Duration::from_millis(5 * 60 * 1000 - 2000))
    );
    assert_eq!(
        second
            .take_quota_slot("a", quotas, start + FIVE_MINUTES_MS)
            .unwrap(),
        Slot::Now
    );
    assert_eq!(
        second
            .take_quota_slot("a", quotas, start + 2 * FIVE_MINUTES_MS)
            .unwrap(),
        Slot::DailyQuotaSpent
    );
    assert_eq!(
        second
            .take_quota_slot("a", quotas, start + DAY_MS + 1)
            .unwrap(),
        Slot::Now
    );
}

#[test]
fn a_write_claimed_by_a_first_attempt_is_refused_to_the_retry_with_what_became_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    assert_eq!(store.claim_write("key-a", 0, "w-1").unwrap(), None);
    // Claimed, no outcome recorded yet: the retry cannot know.
    assert_eq!(
        store.claim_write("key-a", 0, "w-2").unwrap(),
        Some(FirstAttempt::Unknown)
    );
    let line = r#"{"event":"answered","write":"w-1","status":201,"id":7}"#;
    store
        .record_audit(&AuditEvent {
            event: "answered",
            write_id: Some("w-1"),
            user_id: None,
            line,
        })
        .unwrap();
    assert_eq!(
        store.claim_write("key-a", 0, "w-3").unwrap(),
        Some(FirstAttempt::Answered(serde_json::from_str(line).unwrap()))
    );
    // The call's next write, and another call's first, are new.
    assert_eq!(store.claim_write("key-a", 1, "w-4").unwrap(), None);
    assert_eq!(store.claim_write("key-b", 0, "w-5").unwrap(), None);
}

#[test]
fn clients_never_signed_in_with_wait_a_day_at_most_and_only_so_many_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let client = |id: &str, age: u64| KnownClient {
        client_id: id.into(),
        kind: "registered".into(),
        client_name: "Client".into(),
        redirect_uris: vec!["https://client.example/cb".into()],
        fetched_at: now_secs() - age,
    };
    let day = UNUSED_CLIENT_SECS as u64;
    assert!(store.save_client(&client("stale", day + 60), 2).unwrap());
    // The next registration finds it a day old and never used: it goes.
    assert!(store.save_client(&client("a", 0), 2).unwrap());
    assert_eq!(store.client("stale").unwrap(), None);
    assert!(store.save_client(&client("b", 0), 2).unwrap());
    // Two waiting: a third is refused and not recorded, while a known one is still updated.
    assert!(!store.save_client(&client("c", 0), 2).unwrap());
    assert_eq!(store.client("c").unwrap(), None);
    assert!(store.save_client(&client("a", 0), 2).unwrap());

    // A sign-in with `a` makes room, and `a` stays however old its record gets.
    let user = store.user_for_account("4217", "a@example.test").unwrap();
    let code_grant = CodeGrant {
        grant: Grant {
            client_id: "a".into(),
            ..grant(&user.id)
        },
        redirect_uri: "https://client.example/cb".into(),
        code_challenge: "challenge".into(),
    };
    store.save_code("code", &code_grant, 60).unwrap();
    assert!(store.save_client(&client("c", 0), 2).unwrap());
    assert!(store.save_client(&client("a", day + 60), 2).unwrap());
    assert!(!store.save_client(&client("d", 0), 2).unwrap());
    assert!(store.client("a").unwrap().is_some());
}

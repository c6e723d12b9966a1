//! The two random values of an authorization-code sign-in: PKCE's verifier (with its S256
//! challenge), which proves the code is redeemed by whoever asked for it, and `state`, which
//! ties the callback to this attempt.

use anyhow::Result;
use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

/// 32 random bytes, base64url without padding: 43 characters, within RFC 7636's 43..=128.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness from the system: {error}"))?;
    Ok(BASE64_URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is one RFC 7636 allows (section 4.1): 43 to 128 unreserved
/// characters. A client that sends anything else has not made it the way the RFC asks, and
/// its challenge could not have been checked by another server either.
pub fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` can be an S256 challenge: a SHA-256 in base64url without padding.
pub fn is_s256_challenge(challenge: &str) -> bool {
    BASE64_URL_SAFE_NO_PAD
        .decode(challenge)
        .is_ok_and(|digest| digest.len() == 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // Appendix B of RFC 7636.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn only_well_made_verifiers_and_challenges_are_taken() {
        let good = random_token().unwrap();
        assert!(is_verifier(&good) && is_verifier(&"a~._-".repeat(20)));
        for bad in [
            "a".repeat(42),
            "a".repeat(129),
            format!("{good} "),
            format!("{good}+/"),
        ] {
            assert!(!is_verifier(&bad), "{bad:?}");
        }
        assert!(is_s256_challenge(&challenge(&good)));
        for bad in [
            &good[..42],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
        ] {
            assert!(!is_s256_challenge(bad), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_long_enough_and_differ() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}

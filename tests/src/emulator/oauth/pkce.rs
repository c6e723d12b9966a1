//! PKCE (RFC 7636): checking a token request's `code_verifier` against the `code_challenge`
//! of the authorization request, with the rules Doorkeeper applies.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// The challenge methods accepted (Doorkeeper's default `pkce_code_challenge_methods`).
pub(crate) const METHODS: [&str; 2] = ["plain", "S256"];

/// `BASE64URL(SHA256(verifier))`, without padding.
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether the exchange proves possession of the code. Without a verifier it passes only if
/// no challenge was sent; a verifier for a code that had no challenge fails, as in
/// Doorkeeper (an unknown method never matches).
pub(crate) fn verified(
    challenge: Option<&str>,
    method: Option<&str>,
    verifier: Option<&str>,
) -> bool {
    match (challenge, verifier) {
        (challenge, None) => challenge.is_none(),
        (None, Some(_)) => false,
        (Some(challenge), Some(verifier)) => match method {
            Some("S256") => s256_challenge(verifier) == challenge,
            Some("plain") => verifier == challenge,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{s256_challenge, verified};

    /// The example of RFC 7636, appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn computes_the_rfc_example_challenge() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
    }

    #[test]
    fn s256_accepts_only_the_matching_verifier() {
        assert!(verified(Some(CHALLENGE), Some("S256"), Some(VERIFIER)));
        assert!(!verified(
            Some(CHALLENGE),
            Some("S256"),
            Some("another-verifier")
        ));
        // The challenge itself is not a verifier.
        assert!(!verified(Some(CHALLENGE), Some("S256"), Some(CHALLENGE)));
    }

    #[test]
    fn plain_compares_as_is() {
        assert!(verified(Some("abc"), Some("plain"), Some("abc")));
        assert!(!verified(Some("abc"), Some("plain"), Some("abd")));
        assert!(!verified(Some("abc"), Some("S512"), Some("abc")));
    }

    #[test]
    fn a_missing_verifier_passes_only_without_a_challenge() {
        assert!(verified(None, None, None));
        assert!(!verified(Some(CHALLENGE), Some("S256"), None));
        assert!(!verified(None, None, Some(VERIFIER)));
    }
}

//! Sealing secrets at rest: each user's Facturation.PRO tokens (and the PKCE verifier of a
//! sign-in in progress) are encrypted and authenticated with FACTURATION_STORE_KEY before
//! they reach the store. The row they belong to is bound in as associated data, so a sealed
//! value copied into another user's row does not open there.

use anyhow::{Context, Result, bail};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const NONCE_BYTES: usize = 24;

/// FACTURATION_STORE_KEY, decoded. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct StoreKey(XChaCha20Poly1305);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl StoreKey {
    /// The key from its base64 form (32 random bytes, e.g. `openssl rand -base64 32`).
    pub fn from_base64(text: &str) -> Result<StoreKey> {
        let bytes = BASE64_STANDARD.decode(text.trim()).context(
            "FACTURATION_STORE_KEY is not base64 (make one with `openssl rand -base64 32`)",
        )?;
        if bytes.len() != 32 {
            bail!(
                "FACTURATION_STORE_KEY decodes to {} bytes; it must be 32 random bytes, base64 \
                 (make one with `openssl rand -base64 32`)",
                bytes.len()
            );
        }
        Ok(StoreKey(
            XChaCha20Poly1305::new_from_slice(&bytes).expect("32 bytes"),
        ))
    }

    /// A key derived from another secret, for a store that seals nothing of its own (the
    /// answered confirmation states of a single-user server are hashes only).
    pub fn derived_from(secret: &[u8]) -> StoreKey {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("any key length");
        mac.update(b"facturation-pro-mcp store key");
        StoreKey(XChaCha20Poly1305::new_from_slice(&mac.finalize().into_bytes()).expect("32 bytes"))
    }

    /// `plain` encrypted for the row named by `context`: nonce, then ciphertext and tag.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).context("the system's randomness is unavailable")?;
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot seal a value for the store"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The plain value, if `sealed` was sealed with this key for this `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            bail!("a sealed value in the store is truncated");
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        self.0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "a sealed value in the store does not open with FACTURATION_STORE_KEY (another \
                     key, or the value was altered)"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn opens_what_it_sealed_for_the_same_row_only() {
        let key = StoreKey::from_base64(KEY).unwrap();
        let sealed = key.seal("user:a", b"secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(key.open("user:a", &sealed).unwrap(), b"secret");
        assert!(key.open("user:b", &sealed).is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(key.open("user:a", &altered).is_err());
        let other = StoreKey::from_base64(&BASE64_STANDARD.encode([7u8; 32])).unwrap();
        assert!(other.open("user:a", &sealed).is_err());
    }

    #[test]
    fn refuses_keys_that_are_not_32_bytes_of_base64() {
        assert!(StoreKey::from_base64("not base64!").is_err());
        let short = StoreKey::from_base64(&BASE64_STANDARD.encode([1u8; 16])).unwrap_err();
        assert!(short.to_string().contains("16 bytes"), "{short}");
        assert_eq!(
            format!("{:?}", StoreKey::from_base64(KEY).unwrap()),
            "StoreKey(..)"
        );
    }
}

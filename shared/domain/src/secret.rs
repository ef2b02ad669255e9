//! The key kept outside the store, and what it derives: invitation tokens and signed cursors.
//!
//! The store holds a per-send random nonce and the SHA-256 of the token, never the token: the
//! token is an HMAC of the nonce under this key. Whoever reads every stored item still cannot
//! accept an invitation, while a reminder can re-derive the link of the original email.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{ids::InvitationId, random_bytes};

type HmacSha256 = Hmac<Sha256>;

/// 256 bits of key material. Loaded from configuration, never stored beside the data it guards.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a secret key must be exactly 32 bytes, as base64 (url-safe or standard) or 64 hex digits")]
pub struct BadSecretKey;

impl SecretKey {
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads a key written by [`SecretKey::encode`] (base64url), or 64 hex digits.
    pub fn decode(text: &str) -> Result<Self, BadSecretKey> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| BadSecretKey)?
        } else {
            B64.decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text))
                .map_err(|_| BadSecretKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| BadSecretKey)?;
        Ok(Self(key))
    }

    pub fn encode(&self) -> String {
        B64.encode(self.0)
    }

    fn keyed(&self, purpose: &[u8], parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(purpose);
        for part in parts {
            // Length-prefixed, so no two different part lists hash alike.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    fn mac(&self, purpose: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        self.keyed(purpose, parts).finalize().into_bytes().into()
    }

    /// A sub-key for another purpose (the local server signs its development JWTs with one).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        self.mac(b"derive", &[purpose.as_bytes()])
    }

    /// The token of one send of one invitation.
    pub fn invitation_token(&self, id: &InvitationId, nonce: &SendNonce) -> InvitationToken {
        InvitationToken(
            B64.encode(self.mac(b"invitation-token", &[id.as_str().as_bytes(), &nonce.0])),
        )
    }

    /// Seals a store position into a cursor valid only for `scope` (a workgroup and a filter).
    pub fn seal_cursor(&self, scope: &str, position: &str) -> String {
        let tag = self.mac(b"cursor", &[scope.as_bytes(), position.as_bytes()]);
        format!("{}.{}", B64.encode(position), B64.encode(&tag[..16]))
    }

    /// Opens a cursor sealed for the same `scope`; anything else is refused.
    pub fn open_cursor(&self, scope: &str, cursor: &str) -> Result<String, BadCursor> {
        let (position, tag) = cursor.split_once('.').ok_or(BadCursor)?;
        let position = String::from_utf8(B64.decode(position).map_err(|_| BadCursor)?)
            .map_err(|_| BadCursor)?;
        let tag = B64.decode(tag).map_err(|_| BadCursor)?;
        if tag.len() != 16 {
            return Err(BadCursor);
        }
        self.keyed(b"cursor", &[scope.as_bytes(), position.as_bytes()])
            .verify_truncated_left(&tag)
            .map_err(|_| BadCursor)?;
        Ok(position)
    }
}

/// A cursor that was not issued for this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not valid for this list")]
pub struct BadCursor;

/// 128 random bits drawn for each send of an invitation; the token is derived from it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SendNonce([u8; 16]);

impl fmt::Debug for SendNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendNonce(..)")
    }
}

impl SendNonce {
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// Names the send without giving the nonce away (it leaves the system in mail tags):
    /// the first 64 bits of its SHA-256, in hex.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(self.0)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl TryFrom<String> for SendNonce {
    type Error = BadSecretKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let bytes = B64.decode(value).map_err(|_| BadSecretKey)?;
        Ok(Self(bytes.try_into().map_err(|_| BadSecretKey)?))
    }
}

impl From<SendNonce> for String {
    fn from(value: SendNonce) -> Self {
        B64.encode(value.0)
    }
}

/// The secret an invitee proves the invitation with. Never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationToken(String);

impl fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationToken(..)")
    }
}

impl InvitationToken {
    /// Accepts the shape of a token; whether it works is for the store to say.
    pub fn parse(input: &str) -> Option<Self> {
        let input = input.trim();
        (input.len() == 43 && B64.decode(input).is_ok_and(|b| b.len() == 32))
            .then(|| Self(input.to_owned()))
    }

    /// The token text, for the accept link only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(B64.encode(Sha256::digest(self.0.as_bytes())))
    }
}

/// What the store keeps to find an invitation by its token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

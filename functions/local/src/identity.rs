//! Development sign-in: the local server mints and checks its own JWTs, shaped like the Cognito
//! ID tokens API Gateway's JWT authorizer accepts, and hands the API the same claims map.

use std::{
    collections::HashMap,
    fmt::Write as _,
    fs,
    io::{self, Write as _},
    path::Path,
};

use chrono::{DateTime, TimeDelta, Utc};
use domain::{
    address::{EmailAddress, InvalidEmail},
    secret::SecretKey,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

/// The `iss` of development tokens.
pub const ISSUER: &str = "http://127.0.0.1/local-dev";
/// The `aud` of development tokens.
pub const AUDIENCE: &str = "local-dev";
/// How long a minted token stays valid.
pub const LIFETIME: TimeDelta = TimeDelta::days(365);

/// The claims of a development token: those of a Cognito ID token that the API reads, and the
/// ones the JWT authorizer checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub iss: String,
    pub aud: String,
    /// Cognito marks its ID tokens with `"id"`.
    pub token_use: String,
    pub auth_time: i64,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    /// The flat map API Gateway's HTTP API puts in `requestContext.authorizer.jwt.claims`: it
    /// turns every claim value into a string (`true` becomes "true", a time "1700000000").
    pub fn into_authorizer_claims(self) -> HashMap<String, String> {
        let mut claims = HashMap::from([
            ("sub".to_owned(), self.sub),
            ("email".to_owned(), self.email),
            ("email_verified".to_owned(), self.email_verified.to_string()),
            ("iss".to_owned(), self.iss),
            ("aud".to_owned(), self.aud),
            ("token_use".to_owned(), self.token_use),
            ("auth_time".to_owned(), self.auth_time.to_string()),
            ("iat".to_owned(), self.iat.to_string()),
            ("exp".to_owned(), self.exp.to_string()),
        ]);
        if let Some(name) = self.name {
            claims.insert("name".to_owned(), name);
        }
        claims
    }
}

/// Why a request is not signed in. The messages never repeat the token.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No `Authorization: Bearer <token>` header, or one of another shape.
    #[error("sign in: send Authorization: Bearer <token>")]
    MissingBearer,
    /// The token is not one this server minted, or no longer valid.
    #[error("the bearer token is not valid: {reason}")]
    InvalidToken { reason: &'static str },
    /// A token was asked for something that is not an email address.
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error("failed to sign the token")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// Mints and verifies development tokens with a key derived from the server's secret key, so
/// tokens survive restarts on the same data folder and are worthless against any other.
pub struct DevIdentity {
    sub_key: SecretKey,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl DevIdentity {
    pub fn new(key: &SecretKey) -> Self {
        let secret = key.derive("dev-jwt");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        Self {
            sub_key: SecretKey::from_bytes(key.derive("dev-sub")),
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation,
        }
    }

    /// A token for `email`, valid for a year of real time.
    pub fn mint(&self, email: &str, name: Option<&str>) -> Result<String, IdentityError> {
        let email = EmailAddress::parse(email)?;
        self.sign(&self.claims(&email, name, Utc::now()))
    }

    /// The claims of a token for `email` issued at `issued_at`, with a stable subject: the same
    /// address always signs in as the same person.
    pub fn claims(
        &self,
        email: &EmailAddress,
        name: Option<&str>,
        issued_at: DateTime<Utc>,
    ) -> Claims {
        let digest = self.sub_key.derive(email.as_str());
        let mut sub = String::from("dev-");
        for byte in &digest[..16] {
            let _ = write!(sub, "{byte:02x}");
        }
        Claims {
            sub,
            email: email.as_str().to_owned(),
            email_verified: true,
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            token_use: "id".to_owned(),
            auth_time: issued_at.timestamp(),
            iat: issued_at.timestamp(),
            exp: (issued_at + LIFETIME).timestamp(),
        }
    }

    /// Signs any claims, as they are (tests use it for expired or foreign tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, IdentityError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(IdentityError::Signing)
    }

    /// Checks signature, issuer, audience and expiry against the real system clock, never the
    /// server's shifted one: development tokens stay valid whatever clock the API runs on.
    pub fn verify(&self, token: &str) -> Result<Claims, IdentityError> {
        jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| IdentityError::InvalidToken {
                reason: match error.kind() {
                    ErrorKind::InvalidSignature => {
                        "its signature does not match this server's key (minted with another data folder?)"
                    }
                    ErrorKind::ExpiredSignature => "it has expired; mint a new one",
                    ErrorKind::InvalidIssuer => "it was issued by another issuer",
                    ErrorKind::InvalidAudience => "it was issued for another audience",
                    ErrorKind::InvalidAlgorithm => "it is not signed with HS256",
                    ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) => {
                        "its claims are incomplete"
                    }
                    _ => "it is not a well-formed JWT",
                },
            })
    }

    /// Verifies the bearer token of an `Authorization` header value, if there is one.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Claims, IdentityError> {
        let token = authorization
            .and_then(bearer)
            .ok_or(IdentityError::MissingBearer)?;
        self.verify(token)
    }
}

/// The token of an `Authorization: Bearer <token>` header value; the scheme is case-insensitive.
pub fn bearer(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains([' ', '\t']))
        .then_some(token)
}

/// Reads the secret key file, or creates it with a new key if it is missing. A new file appears
/// whole (written aside, then linked into place) and readable by its owner only; when two
/// processes race to create it, both end up with the key of the one that won.
pub fn load_or_create_key(path: &Path) -> io::Result<SecretKey> {
    match fs::read_to_string(path) {
        Ok(text) => return decode_key(&text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let key = SecretKey::generate();
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| io::Error::other(e.to_string()))?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", u64::from_be_bytes(suffix)));
    let temporary = Path::new(&temporary);

    let created = write_private(temporary, format!("{}\n", key.encode()).as_bytes())
        .and_then(|()| fs::hard_link(temporary, path));
    let _ = fs::remove_file(temporary);
    match created {
        Ok(()) => Ok(key),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            decode_key(&fs::read_to_string(path)?)
        }
        Err(error) => Err(error),
    }
}

fn decode_key(text: &str) -> io::Result<SecretKey> {
    SecretKey::decode(text).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;

    fn identity() -> (SecretKey, DevIdentity) {
        let key = SecretKey::from_bytes([7; 32]);
        let identity = DevIdentity::new(&key);
        (key, identity)
    }

    fn address(email: &str) -> EmailAddress {
        EmailAddress::parse(email).unwrap()
    }

    #[test]
    fn a_minted_token_verifies_with_the_claims_of_a_cognito_id_token() {
        let (_, identity) = identity();
        let token = identity
            .mint("Ann@Example.com", Some("Ann Example"))
            .unwrap();

        let claims = identity.verify(&token).unwrap();

        assert_eq!(claims.email, "ann@example.com");
        assert!(claims.email_verified);
        assert_eq!(claims.name.as_deref(), Some("Ann Example"));
        assert_eq!(claims.iss, ISSUER);
        assert_eq!(claims.aud, AUDIENCE);
        assert_eq!(claims.token_use, "id");
        assert!(
            claims.sub.starts_with("dev-") && claims.sub.len() == 4 + 32,
            "{}",
            claims.sub
        );
        let now = Utc::now().timestamp();
        assert!((claims.iat - now).abs() < 60);
        assert_eq!(claims.exp - claims.iat, LIFETIME.num_seconds());
    }

    #[test]
    fn the_subject_is_stable_per_address_and_differs_between_addresses() {
        let (key, identity) = identity();
        let sub = |identity: &DevIdentity, email: &str| {
            identity
                .verify(&identity.mint(email, None).unwrap())
                .unwrap()
                .sub
        };

        assert_eq!(
            sub(&identity, "ann@example.com"),
            sub(&identity, "ANN@example.com")
        );
        assert_eq!(
            sub(&identity, "ann@example.com"),
            sub(&DevIdentity::new(&key), "ann@example.com")
        );
        assert_ne!(
            sub(&identity, "ann@example.com"),
            sub(&identity, "bob@example.com")
        );
    }

    #[test]
    fn the_name_is_left_out_when_not_given() {
        let (_, identity) = identity();
        let token = identity.mint("ann@example.com", None).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert!(json.get("name").is_none(), "{json}");
        assert_eq!(json["email_verified"], serde_json::Value::Bool(true));
        assert!(identity.verify(&token).unwrap().name.is_none());
    }

    #[test]
    fn a_token_is_not_minted_for_something_that_is_not_an_address() {
        let (_, identity) = identity();
        assert!(matches!(
            identity.mint("not an address", None),
            Err(IdentityError::InvalidEmail(_))
        ));
    }

    #[test]
    fn forged_foreign_and_expired_tokens_are_refused() {
        let (_, identity) = identity();
        let good = identity.claims(&address("ann@example.com"), None, Utc::now());
        let token = identity.sign(&good).unwrap();
        let (head, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let other = DevIdentity::new(&SecretKey::from_bytes([8; 32]));
        let (payload_head, _) = head.split_once('.').unwrap();
        let mut admin = good.clone();
        admin.email = "admin@example.com".to_owned();
        let admin_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin).unwrap());

        let cases: Vec<(&str, String)> = vec![
            (
                "a tampered signature",
                format!("{head}.{flipped}{}", &signature[1..]),
            ),
            (
                "a payload swapped under the signature",
                format!("{payload_head}.{admin_payload}.{signature}"),
            ),
            (
                "a token of another key",
                other.mint("ann@example.com", None).unwrap(),
            ),
            (
                "another audience",
                identity
                    .sign(&Claims {
                        aud: "someone-else".to_owned(),
                        ..good.clone()
                    })
                    .unwrap(),
            ),
            (
                "another issuer",
                identity
                    .sign(&Claims {
                        iss: "https://evil.example".to_owned(),
                        ..good.clone()
                    })
                    .unwrap(),
            ),
            (
                "an expired token",
                identity
                    .sign(&identity.claims(
                        &address("ann@example.com"),
                        None,
                        Utc::now() - LIFETIME - TimeDelta::minutes(1),
                    ))
                    .unwrap(),
            ),
            (
                "an unsigned token",
                format!(
                    "{}.{}.",
                    URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
                    head.split_once('.').unwrap().1
                ),
            ),
            ("garbage", "not-a-jwt".to_owned()),
            ("nothing", String::new()),
        ];
        for (case, token) in cases {
            match identity.verify(&token) {
                Err(error @ IdentityError::InvalidToken { .. }) => {
                    if !token.is_empty() {
                        assert!(!error.to_string().contains(&token), "{case}: {error}");
                    }
                }
                other => panic!("{case} was not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn tokens_stay_valid_until_their_real_expiry() {
        let (_, identity) = identity();
        let almost_a_year_ago = Utc::now() - LIFETIME + TimeDelta::minutes(5);
        let token = identity
            .sign(&identity.claims(&address("ann@example.com"), None, almost_a_year_ago))
            .unwrap();
        assert!(identity.verify(&token).is_ok());
    }

    #[test]
    fn the_claims_map_holds_strings_as_api_gateway_gives_them() {
        let (_, identity) = identity();
        let issued = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let claims = identity.claims(&address("ann@example.com"), Some("Ann"), issued);
        let sub = claims.sub.clone();

        let map = claims.into_authorizer_claims();

        let expected = HashMap::from(
            [
                ("sub", sub.as_str()),
                ("email", "ann@example.com"),
                ("email_verified", "true"),
                ("name", "Ann"),
                ("iss", ISSUER),
                ("aud", AUDIENCE),
                ("token_use", "id"),
                ("auth_time", "1700000000"),
                ("iat", "1700000000"),
                ("exp", "1731536000"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        assert_eq!(map, expected);
        let without_name = identity
            .claims(&address("ann@example.com"), None, issued)
            .into_authorizer_claims();
        assert!(!without_name.contains_key("name"));
    }

    #[test]
    fn the_bearer_scheme_is_read_case_insensitively() {
        let cases = [
            ("Bearer abc.def.ghi", Some("abc.def.ghi")),
            ("bearer abc.def.ghi", Some("abc.def.ghi")),
            ("BEARER   abc.def.ghi  ", Some("abc.def.ghi")),
            ("Basic dXNlcjpwYXNz", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("abc.def.ghi", None),
            ("Bearer abc def", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(bearer(header), expected, "{header:?}");
        }
    }

    #[test]
    fn authenticate_tells_a_missing_header_from_a_bad_token() {
        let (_, identity) = identity();
        let token = identity.mint("ann@example.com", None).unwrap();
        assert!(
            identity
                .authenticate(Some(&format!("Bearer {token}")))
                .is_ok()
        );
        assert!(matches!(
            identity.authenticate(None),
            Err(IdentityError::MissingBearer)
        ));
        assert!(matches!(
            identity.authenticate(Some("Basic abc")),
            Err(IdentityError::MissingBearer)
        ));
        assert!(matches!(
            identity.authenticate(Some("Bearer abc")),
            Err(IdentityError::InvalidToken { .. })
        ));
    }

    #[test]
    fn a_missing_key_file_is_created_private_and_read_back_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");

        let created = load_or_create_key(&path).unwrap();
        let reloaded = load_or_create_key(&path).unwrap();

        assert_eq!(created.encode(), reloaded.encode());
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{}\n", created.encode())
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_existing_key_file_is_read_and_a_corrupt_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let key = SecretKey::generate();
        fs::write(&path, format!("{}\n", key.encode())).unwrap();
        assert_eq!(load_or_create_key(&path).unwrap().encode(), key.encode());

        fs::write(&path, "not a key\n").unwrap();
        let error = load_or_create_key(&path).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn processes_racing_to_create_the_key_agree_on_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let keys: Vec<String> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| load_or_create_key(&path).unwrap().encode()))
                .collect();
            racers
                .into_iter()
                .map(|racer| racer.join().unwrap())
                .collect()
        });
        assert!(keys.iter().all(|key| *key == keys[0]), "{keys:?}");
    }
}

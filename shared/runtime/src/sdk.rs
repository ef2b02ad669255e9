//! The AWS SDK's configuration, from what Lambda provides: the region and the credentials in
//! the environment, so nothing probes for profile files or instance metadata; and an HTTPS
//! client that trusts only the root CAs AWS's service endpoints chain to (the Amazon Trust
//! Services roots and the Starfield root they are cross-signed by), bundled into the binary
//! and parsed once, so no certificate file is read at start. `TRUST_STORE` names another trust
//! store, for deployments that reach AWS through a proxy or a private endpoint.

use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::{
    Builder,
    tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode},
};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The setting: unset or `aws` for the bundled roots, `system` for the machine's store, or
/// the path of a PEM bundle.
pub const TRUST_STORE: &str = "TRUST_STORE";

/// The roots AWS's endpoints chain to, as their PEM files.
const AWS_ROOTS: [&str; 5] = [
    include_str!("../roots/Amazon_Root_CA_1.pem"),
    include_str!("../roots/Amazon_Root_CA_2.pem"),
    include_str!("../roots/Amazon_Root_CA_3.pem"),
    include_str!("../roots/Amazon_Root_CA_4.pem"),
    include_str!("../roots/Starfield_Services_Root_Certificate_Authority_-_G2.pem"),
];

/// Which certificates the HTTPS client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The roots AWS's endpoints chain to, bundled (the default).
    Aws,
    /// The machine's store, read at start.
    System,
    /// The certificates of a PEM bundle, read at start.
    Bundle(PathBuf),
}

impl Trust {
    /// The trust [`TRUST_STORE`] asks for.
    pub fn from_setting(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            None | Some("") | Some("aws") => Trust::Aws,
            Some("system") => Trust::System,
            Some(path) => Trust::Bundle(PathBuf::from(path)),
        }
    }

    fn store(&self) -> Result<TrustStore, String> {
        Ok(match self {
            Trust::Aws => AWS_ROOTS.iter().fold(TrustStore::empty(), |store, pem| {
                store.with_pem_certificate(*pem)
            }),
            Trust::System => TrustStore::empty().with_native_roots(true),
            Trust::Bundle(path) => {
                let pem = std::fs::read(path).map_err(|error| {
                    format!("{TRUST_STORE}: cannot read {}: {error}", path.display())
                })?;
                TrustStore::empty().with_pem_certificate(pem)
            }
        })
    }
}

/// The HTTPS client every AWS client of a function shares.
pub fn https_client(trust: &Trust) -> Result<SharedHttpClient, String> {
    let context = TlsContext::builder()
        .with_trust_store(trust.store()?)
        .build()
        .map_err(|error| format!("{TRUST_STORE}: {error}"))?;
    Ok(Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// The SDK's configuration for a function: region and credentials from the environment when
/// it has them (Lambda always does), the HTTPS client of [`TRUST_STORE`]'s trust.
pub async fn sdk_config(lookup: impl Fn(&str) -> Option<String>) -> Result<SdkConfig, String> {
    let trust = Trust::from_setting(lookup(TRUST_STORE).as_deref());
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(https_client(&trust)?);
    if let Some(region) = lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION")) {
        loader = loader.region(Region::new(region));
    }
    // Lambda hands the role's credentials to the sandbox in these variables.
    if let (Some(key), Some(secret)) =
        (lookup("AWS_ACCESS_KEY_ID"), lookup("AWS_SECRET_ACCESS_KEY"))
    {
        let token = lookup("AWS_SESSION_TOKEN");
        loader =
            loader.credentials_provider(Credentials::new(key, secret, token, None, "environment"));
    }
    Ok(loader.load().await)
}

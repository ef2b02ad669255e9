//! The functions' HTTPS client trusts only the roots AWS's endpoints chain to: an endpoint on
//! loopback whose certificate chains to a root of its own is refused, unless `TRUST_STORE`
//! names a bundle holding that root.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use aws_sdk_dynamodb::error::SdkError;

/// Makes a root CA and a certificate for `localhost` signed by it, in `dir`.
fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Not an AWS root",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
}

/// An HTTPS endpoint on loopback with the certificate `certificates` made; any request it
/// gets past TLS answers 501.
struct Endpoint {
    child: Child,
    port: u16,
}

impl Endpoint {
    fn start(dir: &Path) -> Self {
        let script = "import http.server, ssl, sys\n\
             server = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)\n\
             tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
             tls.load_cert_chain('server.pem', 'server.key')\n\
             server.socket = tls.wrap_socket(server.socket, server_side=True)\n\
             print(server.server_address[1], flush=True)\n\
             server.serve_forever()\n";
        let mut child = Command::new("python3")
            .args(["-c", script])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the endpoint prints its port");
        Endpoint { child, port }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls the endpoint as DynamoDB with the SDK configuration a function builds from `trust`
/// (the value of `TRUST_STORE`, if any): whether the call got past TLS.
async fn got_past_tls(endpoint: &Endpoint, trust: Option<String>) -> bool {
    let sdk = runtime::sdk::sdk_config(|name| match name {
        "AWS_REGION" => Some("us-east-1".to_owned()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("test".to_owned()),
        runtime::sdk::TRUST_STORE => trust.clone(),
        _ => None,
    })
    .await
    .expect("the configuration builds");
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(format!("https://localhost:{}", endpoint.port))
        .build();
    match aws_sdk_dynamodb::Client::from_conf(config)
        .list_tables()
        .send()
        .await
    {
        Err(SdkError::DispatchFailure(failure)) => {
            // Refused by the TLS handshake, for the certificate's issuer, and nothing else.
            let chain = format!("{failure:?}");
            assert!(chain.contains("UnknownIssuer"), "{chain}");
            false
        }
        Err(SdkError::ResponseError(_) | SdkError::ServiceError(_)) => true,
        other => panic!("unexpected: {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_chaining_to_a_root_outside_the_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let endpoint = Endpoint::start(dir.path());

    assert!(
        !got_past_tls(&endpoint, None).await,
        "the bundled roots trusted a root of the test's own"
    );
    assert!(!got_past_tls(&endpoint, Some("aws".to_owned())).await);
    let bundle = dir.path().join("ca.pem").to_str().unwrap().to_owned();
    assert!(
        got_past_tls(&endpoint, Some(bundle)).await,
        "a bundle naming the root is trusted"
    );
}

#[test]
fn the_setting_names_the_bundled_roots_the_system_or_a_bundle() {
    use runtime::sdk::Trust;
    assert_eq!(Trust::from_setting(None), Trust::Aws);
    assert_eq!(Trust::from_setting(Some(" aws ")), Trust::Aws);
    assert_eq!(Trust::from_setting(Some("system")), Trust::System);
    assert_eq!(
        Trust::from_setting(Some("/etc/proxy-ca.pem")),
        Trust::Bundle("/etc/proxy-ca.pem".into())
    );
}

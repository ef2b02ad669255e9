//! The web console's files through the handlers: one document for its pages, its scripts and
//! style under `/web/`, all without sign-in, with a content security policy that allows the
//! site's sign-in and no other origin; `/config.json` says how the site signs in ("none" unless
//! the host says otherwise: the local server and the `list` function do). And what every answer
//! of the handlers shares: a bounded body, `nosniff` and `no-store`.

use api::web::SignIn;
use serde_json::{Value, json};
use tests::harness::{Answer, Harness, answer_body, api_gateway_event};

const KIB_256: usize = 256 * 1024;

/// `json` followed by spaces up to `len` bytes: still the same JSON.
fn padded(json: &str, len: usize) -> String {
    format!("{json}{}", " ".repeat(len - json.len()))
}

/// An API Gateway event whose body is `body` as it is.
fn event_with_body(method: &str, path: &str, as_email: Option<&str>, body: String) -> Value {
    let mut event = api_gateway_event(method, path, as_email, None);
    event["body"] = Value::String(body);
    event
}

/// Sends an event to the handlers of a site whose console signs in with `sign_in`.
async fn call_site(h: &Harness, sign_in: &SignIn, event: &Value) -> Answer {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = local::routes::answer(&h.app, sign_in, &request).await;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Answer {
        status: response.status().as_u16(),
        body: answer_body(content_type.as_deref(), response.body().as_ref()),
        content_type,
        headers: response.headers().clone(),
    }
}

/// Every module in `web/` is served, so no import of the console can fail in a browser.
#[tokio::test]
async fn every_file_of_the_console_is_served() {
    let h = Harness::new();
    let web = tests::infra::workspace().join("web");
    let mut served = 0;
    for entry in std::fs::read_dir(&web).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !(name.ends_with(".js") || name.ends_with(".css")) {
            continue;
        }
        let answer = h.call("GET", &format!("/web/{name}"), None, None).await;
        assert_eq!(answer.status, 200, "/web/{name} is not served");
        let on_disk = std::fs::read_to_string(web.join(&name)).unwrap();
        assert_eq!(answer.body.as_str(), Some(on_disk.as_str()), "{name}");
        served += 1;
    }
    assert!(served >= 10, "the console's modules: {served}");
}

#[tokio::test]
async fn the_pages_and_files_are_served_with_their_type_and_policy() {
    let h = Harness::new();
    for (path, media_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/accept", "text/html; charset=utf-8"),
        ("/web/app.js", "text/javascript; charset=utf-8"),
        ("/web/auth.js", "text/javascript; charset=utf-8"),
        ("/web/i18n.js", "text/javascript; charset=utf-8"),
        ("/web/style.css", "text/css; charset=utf-8"),
    ] {
        let answer = h.call("GET", path, None, None).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.content_type.as_deref(), Some(media_type), "{path}");
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        let policy = header("content-security-policy");
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(policy.contains("connect-src 'self';"), "{policy}");
        assert!(policy.contains("form-action 'self';"), "{policy}");
        assert!(!policy.contains("https:"), "no other origin: {policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("cache-control"), "no-store");
    }
    let page = h.call("GET", "/", None, None).await;
    assert!(
        page.body
            .as_str()
            .unwrap()
            .contains(r#"<script type="module" src="/web/app.js">"#)
    );
}

#[tokio::test]
async fn unknown_files_are_not_found() {
    let h = Harness::new();
    for path in ["/web/secret.key", "/web/app.js.map", "/web/", "/web/a/b.js"] {
        let answer = h.call("GET", path, None, None).await;
        answer.assert_problem(404);
    }
    h.call("POST", "/web/app.js", None, Some(json!({})))
        .await
        .assert_problem(405);
}

#[tokio::test]
async fn without_a_host_to_say_otherwise_the_console_has_no_sign_in() {
    let h = Harness::new();
    let answer = h.call("GET", "/config.json", None, None).await;
    assert_eq!(
        answer.assert_ok(200),
        &json!({ "signIn": { "kind": "none" } })
    );
}

#[tokio::test]
async fn the_console_may_reach_the_configured_sign_in_origin_and_no_other() {
    let h = Harness::new();
    let cognito = SignIn::cognito("https://acme.auth.eu-west-1.amazoncognito.com", "client1");
    for path in ["/", "/accept"] {
        let page = call_site(&h, &cognito, &api_gateway_event("GET", path, None, None)).await;
        assert_eq!(page.status, 200);
        let policy = page.headers["content-security-policy"].to_str().unwrap();
        let allowed = "'self' https://acme.auth.eu-west-1.amazoncognito.com;";
        assert!(
            policy.contains(&format!("connect-src {allowed}")),
            "{policy}"
        );
        assert!(
            policy.contains(&format!("form-action {allowed}")),
            "{policy}"
        );
        assert!(
            !policy.contains("https:;") && !policy.contains("https: "),
            "{policy}"
        );
    }
    let config = call_site(
        &h,
        &cognito,
        &api_gateway_event("GET", "/config.json", None, None),
    )
    .await;
    assert_eq!(
        config.assert_ok(200)["signIn"]["token"],
        "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/token"
    );
}

#[tokio::test]
async fn a_body_over_256_kib_is_refused_with_413_before_routing_or_parsing() {
    let h = Harness::new();
    let ada = Some("ada@example.com");
    let over = padded(r#"{"name": "Acme IT"}"#, KIB_256 + 1);
    for (method, path, as_email) in [
        ("POST", "/workgroups", ada),
        ("POST", "/workgroups", None),
        ("POST", "/invitations/lookup", None),
        ("POST", "/nowhere", None),
        ("GET", "/workgroups", ada),
    ] {
        let event = event_with_body(method, path, as_email, over.clone());
        let answer = h.send_event(&event).await;
        let detail = answer.assert_problem(413);
        assert!(detail.contains("256 KiB"), "{method} {path}: {detail}");
        assert_eq!(answer.body["type"], "/problems/payload-too-large");
    }
    let mine = h.get("/workgroups", "ada@example.com").await;
    assert_eq!(
        mine.assert_ok(200)["items"],
        json!([]),
        "nothing was created"
    );

    let exactly = padded(r#"{"name": "Acme IT"}"#, KIB_256);
    let event = event_with_body("POST", "/workgroups", ada, exactly);
    h.send_event(&event).await.assert_ok(201);
}

#[tokio::test]
async fn every_answer_of_the_handlers_says_nosniff_and_no_store() {
    let h = Harness::new();
    let ada = Some("ada@example.com");
    let wg = h.workgroup("ada@example.com", "Acme IT").await;
    let cases = [
        (
            event_with_body("POST", "/workgroups", ada, "{\"name\": \"B\"}".into()),
            201,
        ),
        (api_gateway_event("GET", "/workgroups", ada, None), 200),
        (api_gateway_event("GET", "/openapi.json", None, None), 200),
        (api_gateway_event("GET", "/config.json", None, None), 200),
        (api_gateway_event("GET", "/web/style.css", None, None), 200),
        (
            api_gateway_event(
                "DELETE",
                &format!("/workgroups/{wg}/invitations/x"),
                ada,
                None,
            ),
            404,
        ),
        (api_gateway_event("GET", "/workgroups", None, None), 401),
        (event_with_body("POST", "/workgroups", ada, "{".into()), 400),
        (api_gateway_event("PUT", "/workgroups", ada, None), 405),
        (
            event_with_body("POST", "/workgroups", ada, " ".repeat(KIB_256 + 1)),
            413,
        ),
    ];
    for (event, status) in cases {
        let answer = h.send_event(&event).await;
        let what = format!(
            "{} {}",
            event["requestContext"]["http"]["method"], event["rawPath"]
        );
        assert_eq!(answer.status, status, "{what}: {answer:?}");
        assert_eq!(
            answer.headers["x-content-type-options"], "nosniff",
            "{what}"
        );
        assert_eq!(answer.headers["cache-control"], "no-store", "{what}");
    }
}

//! The web console's files through the handlers: one document for its pages, its scripts and
//! style under `/web/`, all without sign-in, with a content security policy; `/config.json`
//! says "no sign-in" unless the host answers it (the local server and the `list` function do).

use serde_json::json;
use tests::harness::Harness;

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

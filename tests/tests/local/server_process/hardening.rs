//! What the local server refuses or closes: other addresses and hosts, large bodies, slow requests; its headers and its data folder's modes.

use super::*;

#[test]
fn a_non_loopback_address_is_refused_at_start_unless_a_flag_allows_it() {
    let data = tempfile::tempdir().unwrap();
    let start = |args: &[&str]| {
        Command::new(tests::binaries::local())
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .output()
            .expect("the command runs")
    };
    // Documentation addresses (RFC 5737, RFC 3849): no interface of this machine has them, so
    // the test can never make the server listen where others reach it.
    for addr in ["192.0.2.1:0", "[2001:db8::1]:0"] {
        let refused = start(&["--addr", addr]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{addr}: {stderr}");
        assert!(
            stderr.contains(&format!("refusing to listen on {addr}"))
                && stderr.contains("not a loopback address")
                && stderr.contains("--allow-remote"),
            "{addr}: {stderr}"
        );
        let allowed = start(&["--addr", addr, "--allow-remote"]);
        let stderr = String::from_utf8_lossy(&allowed.stderr);
        assert!(
            stderr.contains(&format!("cannot listen on {addr}")),
            "with the flag, only binding can fail: {stderr}"
        );
    }

    let server = Server::start(data.path(), &["--allow-remote"]);
    let (status, config) = server.call("GET", "/config.json", None, None);
    assert_eq!(
        (status, config),
        (200, json!({ "signIn": { "kind": "dev" } }))
    );
}

#[test]
fn a_request_that_does_not_name_the_server_in_its_host_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--base-url", "http://invites.test:8080"]);
    let addr = socket_addr(&server.base);
    let port = addr.port();
    let send = |host: &str, target: &str| {
        let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        raw_exchange(addr, request.as_bytes(), PATIENCE)
    };

    // A page whose own name resolves to 127.0.0.1 (DNS rebinding) sends its name.
    for host in [
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "invites.test:9090".to_owned(),
    ] {
        let reply = send(&host, "/config.json");
        assert_problem(&reply, 421);
        assert!(reply.body().contains("misdirected"), "{reply:?}");
    }
    // An absolute request target names the server too.
    let reply = send(
        &format!("127.0.0.1:{port}"),
        "http://evil.example/config.json",
    );
    assert_problem(&reply, 421);
    let no_host = raw_exchange(
        addr,
        b"GET /config.json HTTP/1.1\r\nConnection: close\r\n\r\n",
        PATIENCE,
    );
    assert_eq!(no_host.status(), Some(400), "{no_host:?}");

    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        "invites.test:8080".to_owned(),
    ] {
        let reply = send(&host, "/config.json");
        assert_eq!(reply.status(), Some(200), "{host}: {reply:?}");
    }
}

#[test]
fn a_body_over_256_kib_is_refused_with_413_before_any_work() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let addr = socket_addr(&server.base);
    let admin = run(data.path(), &["token", "--email", "ada@example.com"]);

    // A declared length over the limit is refused without reading (or waiting for) the body,
    // before sign-in is checked, on every route.
    for path in [
        "/workgroups",
        "/dev/sign-in",
        "/invitations/lookup",
        "/nowhere",
    ] {
        let head = raw(
            &server,
            &format!("POST {path} HTTP/1.1"),
            "Content-Type: application/json\r\nContent-Length: 262145\r\n\r\n",
        );
        let reply = raw_exchange(addr, &head, PATIENCE);
        assert_problem(&reply, 413);
        assert!(reply.body().contains("payload-too-large"), "{reply:?}");
        assert!(reply.closed, "the connection is closed: {reply:?}");
    }

    // A body of unknown length is read up to the limit only.
    let mut chunked = raw(
        &server,
        "POST /workgroups HTTP/1.1",
        &format!(
            "Authorization: Bearer {admin}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            256 * 1024 + 1
        ),
    );
    chunked.extend(std::iter::repeat_n(b' ', 256 * 1024 + 1));
    let reply = raw_exchange(addr, &chunked, PATIENCE);
    assert_problem(&reply, 413);
    let (status, mine) = server.call("GET", "/workgroups", Some(&admin), None);
    assert_eq!(
        (status, &mine["items"]),
        (200, &json!([])),
        "nothing was created"
    );

    // 256 KiB exactly is read.
    let padded = |json: &str| format!("{json}{}", " ".repeat(256 * 1024 - json.len()));
    let body = padded(r#"{"name": "Acme IT"}"#);
    let (status, _) = exchange(
        &server,
        "POST",
        "/workgroups",
        &[
            ("Authorization", &format!("Bearer {admin}")),
            ("Content-Type", "application/json"),
        ],
        Some(&body),
    );
    assert_eq!(status, 201);
    let sign_in = padded(r#"{"email": "ann@example.com"}"#);
    let (status, _) = exchange(&server, "POST", "/dev/sign-in", &[], Some(&sign_in));
    assert_eq!(status, 200);
}

#[test]
fn slow_or_half_sent_requests_are_closed() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let addr = socket_addr(&server.base);
    let half_head = raw(&server, "GET /config.json HTTP/1.1", "Accept: */*\r\n");
    let half_body = raw(
        &server,
        "POST /dev/sign-in HTTP/1.1",
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
    );
    let idle = raw(&server, "GET /config.json HTTP/1.1", "\r\n");
    // The three wait in parallel: each is closed after one of the server's timeouts.
    let (half_head, half_body, idle) = std::thread::scope(|scope| {
        let half_head = scope.spawn(|| raw_exchange(addr, &half_head, PATIENCE));
        let half_body = scope.spawn(|| raw_exchange(addr, &half_body, PATIENCE));
        let idle = scope.spawn(|| raw_exchange(addr, &idle, PATIENCE));
        (
            half_head.join().unwrap(),
            half_body.join().unwrap(),
            idle.join().unwrap(),
        )
    });

    assert!(half_head.closed, "half a head: {half_head:?}");
    assert!(half_body.closed, "half a body: {half_body:?}");
    assert_problem(&half_body, 408);
    assert!(idle.closed, "an idle kept-alive connection: {idle:?}");
    assert_eq!(idle.status(), Some(200), "{idle:?}");
}

#[test]
fn every_answer_of_the_local_server_says_nosniff_and_none_asks_for_https() {
    let data = tempfile::tempdir().unwrap();
    let admin = run(data.path(), &["token", "--email", "ada@example.com"]);
    let server = Server::start(data.path(), &[]);
    let bearer = format!("Bearer {admin}");
    let bearer = bearer.as_str();
    let json = ("Content-Type", "application/json");
    let cases = [
        ("GET", "/config.json", vec![], None, 200),
        ("GET", "/", vec![], None, 200),
        ("GET", "/web/app.js", vec![], None, 200),
        ("GET", "/openapi.json", vec![], None, 200),
        (
            "GET",
            "/workgroups",
            vec![("Authorization", bearer)],
            None,
            200,
        ),
        ("GET", "/workgroups", vec![], None, 401),
        ("GET", "/nowhere", vec![], None, 404),
        (
            "POST",
            "/dev/sign-in",
            vec![json],
            Some(r#"{"email": "ann@example.com"}"#),
            200,
        ),
        ("POST", "/dev/sign-in", vec![json], Some("{"), 400),
        (
            "DELETE",
            "/workgroups",
            vec![("Authorization", bearer)],
            None,
            405,
        ),
    ];
    for (method, path, headers, body, expected) in cases {
        let (status, headers) = exchange(&server, method, path, &headers, body);
        assert_eq!(status, expected, "{method} {path}");
        assert_eq!(
            headers["x-content-type-options"], "nosniff",
            "{method} {path}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{method} {path}");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "plain HTTP on loopback: {method} {path}"
        );
    }
    let (_, page) = exchange(&server, "GET", "/", &[], None);
    let policy = page["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("connect-src 'self';") && policy.contains("form-action 'self';"),
        "{policy}"
    );
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_every_file_in_it_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let admin = run(&data, &["token", "--email", "ada@example.com"]);
    let server = Server::start(&data, &[]);
    let (_, created) = server.call(
        "POST",
        "/workgroups",
        Some(&admin),
        Some(json!({"name": "Acme IT"})),
    );
    let wg = created["id"].as_str().unwrap().to_owned();
    let (status, _) = server.call(
        "POST",
        &format!("/workgroups/{wg}/invitations"),
        Some(&admin),
        Some(json!({"emails": "ann@example.com", "role": "manager"})),
    );
    assert_eq!(status, 200);
    let events = data.join("events.jsonl");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !events.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }

    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let entries = |data: &Path| {
        let mut files: Vec<_> = ["store.sqlite3", "store.sqlite3-wal", "store.sqlite3-shm"]
            .iter()
            .chain(&["secret.key", "events.jsonl"])
            .map(|name| data.join(name))
            .collect();
        files.extend(
            std::fs::read_dir(data.join("outbox"))
                .unwrap()
                .map(|entry| entry.unwrap().path()),
        );
        files
    };
    let files = entries(&data);
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|x| x == "eml")),
        "{files:?}"
    );
    for dir in [data.clone(), data.join("outbox")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    server.stop();

    // A folder an earlier version left readable by everyone is made private on the next start.
    let set = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set(&data, 0o755);
    set(&data.join("outbox"), 0o755);
    for file in &files {
        set(file, 0o644);
    }
    let server = Server::start(&data, &[]);
    for dir in [data.clone(), data.join("outbox")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    server.stop();
}

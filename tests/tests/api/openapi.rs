//! The OpenAPI document describes exactly the routes the API answers.

use std::collections::BTreeSet;

use api::routes::ROUTES;
use serde_json::Value;
use tests::harness::Harness;

#[tokio::test]
async fn the_document_is_served_without_sign_in() {
    let h = Harness::new();
    let answer = h.call("GET", "/openapi.json", None, None).await;
    assert_eq!(answer.assert_ok(200), &api::openapi::document());
    assert_eq!(answer.body["openapi"], "3.1.0");
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_a_route() {
    let doc = api::openapi::document();
    let documented: BTreeSet<(String, String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .iter()
                .map(move |(method, op)| {
                    (
                        method.to_uppercase(),
                        path.clone(),
                        op["operationId"]
                            .as_str()
                            .expect("an operationId")
                            .to_owned(),
                    )
                })
        })
        .collect();
    // The web console's routes serve pages, not the API.
    let routed: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .filter(|r| r.operation.is_api())
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_owned(),
                r.operation_id.to_owned(),
            )
        })
        .collect();
    assert_eq!(documented, routed);
}

#[test]
fn every_documented_path_matches_its_route_and_declares_its_parameters() {
    let doc = api::openapi::document();
    for route in ROUTES.iter().filter(|r| r.operation.is_api()) {
        let concrete = route
            .path
            .replace("{wg}", "wg_0123456789abcdef0123456789abcdef")
            .replace("{id}", "inv_0123456789abcdef0123456789abcdef");
        let (matched, _) =
            local::routes::find(&route.method, &concrete).expect("the route matches");
        assert_eq!(matched.operation, route.operation);

        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let placeholders: BTreeSet<&str> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, placeholders, "{} {}", route.method, route.path);

        let public = op
            .get("security")
            .is_some_and(|s| s.as_array().is_some_and(Vec::is_empty));
        assert_eq!(
            public, !route.authenticated,
            "{} {} security",
            route.method, route.path
        );
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        if route.authenticated {
            assert!(
                op["responses"].get("401").is_some(),
                "{} documents 401",
                route.path
            );
        }
    }
}

#[test]
fn every_schema_reference_resolves() {
    let doc = api::openapi::document();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{reference} is missing"
        );
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

#[tokio::test]
async fn every_route_marked_for_signed_in_callers_refuses_anonymous_ones_and_no_other_does() {
    let h = Harness::new();
    for route in ROUTES {
        let path = route
            .path
            .replace("{wg}", "wg_0123456789abcdef0123456789abcdef")
            .replace("{id}", "inv_0123456789abcdef0123456789abcdef");
        let body = (route.method == http::Method::POST).then(|| serde_json::json!({}));
        let answer = h.call(route.method.as_str(), &path, None, body).await;
        assert_eq!(
            answer.status == 401,
            route.authenticated,
            "{} {} answered {}",
            route.method,
            route.path,
            answer.status
        );
    }
}

/// Every string schema a request can carry (parameters and bodies, through references, lists
/// and alternatives), with where it was found.
fn request_strings<'d>(
    doc: &'d Value,
    at: String,
    schema: &'d Value,
    out: &mut Vec<(String, &'d Value)>,
) {
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return request_strings(
            doc,
            format!("{at}→{name}"),
            &doc["components"]["schemas"][name],
            out,
        );
    }
    let is_string = schema["type"] == "string"
        || schema["type"]
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == "string"));
    if is_string {
        out.push((at.clone(), schema));
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            request_strings(doc, format!("{at}.{name}"), property, out);
        }
    }
    request_strings_of(doc, &at, &schema["items"], out);
    for key in ["oneOf", "anyOf"] {
        for (i, alternative) in schema[key].as_array().into_iter().flatten().enumerate() {
            request_strings(doc, format!("{at}[{key} {i}]"), alternative, out);
        }
    }
}

fn request_strings_of<'d>(
    doc: &'d Value,
    at: &str,
    schema: &'d Value,
    out: &mut Vec<(String, &'d Value)>,
) {
    if !schema.is_null() {
        request_strings(doc, format!("{at}[]"), schema, out);
    }
}

#[test]
fn every_string_a_request_carries_has_a_documented_maximum() {
    let doc = api::openapi::document();
    let mut strings = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let at = format!("{method} {path} {}", parameter["name"]);
                request_strings(&doc, at, &parameter["schema"], &mut strings);
            }
            let body = &op["requestBody"]["content"]["application/json"]["schema"];
            request_strings_of(&doc, &format!("{method} {path} body"), body, &mut strings);
        }
    }
    assert!(strings.len() > 20, "{strings:?}");
    for (at, schema) in strings {
        let max = schema["maxLength"].as_u64();
        assert!(
            max.is_some_and(|max| max > 0),
            "{at} has no maxLength: {schema}"
        );
    }
}

#[test]
fn every_documented_refusal_of_the_issue_is_declared_where_it_can_happen() {
    let doc = api::openapi::document();
    for route in ROUTES.iter().filter(|r| r.operation.is_api()) {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        let at = format!("{} {}", route.method, route.path);
        if route.authenticated {
            assert!(op["responses"]["403"].is_object(), "{at}: 403");
            let forbidden = op["responses"]["403"]["description"].as_str().unwrap();
            assert!(forbidden.contains("email_verified"), "{at}: {forbidden}");
        }
        if op.get("requestBody").is_some() {
            let too_large = op["responses"]["413"]["description"].as_str();
            assert!(
                too_large.is_some_and(|d| d.contains("payload-too-large")),
                "{at}: 413"
            );
        }
    }
    for (path, method, kinds) in [
        ("/workgroups", "post", &["too-many-workgroups"][..]),
        (
            "/workgroups/{wg}/invitations",
            "post",
            &["too-many-invitations", "too-many-pending-invitations"][..],
        ),
        (
            "/workgroups/{wg}/invitations/{id}/resend",
            "post",
            &["too-many-invitations", "too-many-pending-invitations"][..],
        ),
    ] {
        let answer = &doc["paths"][path][method]["responses"]["429"];
        assert!(
            answer["headers"]["Retry-After"].is_object(),
            "{path}: Retry-After"
        );
        let description = answer["description"].as_str().unwrap_or_default();
        for kind in kinds {
            assert!(description.contains(kind), "{path}: {kind}");
        }
    }
}

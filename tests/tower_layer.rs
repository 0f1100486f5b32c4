//! The tower layer answers as `/auth` does, because both decide through one `Gate`: each
//! request goes to `djtoken serve`'s router (`/auth`) and through the layer around a plain
//! service, and the two answers must agree (the live differential against real Django is
//! `python/tests/test_axum_service.py`).

mod common;

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use djtoken::gate::layer::DjangoAuthLayer;
use djtoken::gate::{DjangoUser, Gate, Refused};
use djtoken::server::{AppState, router};
use djtoken::{SecretKey, SecretKeys, Settings, TokenapiTokenGenerator, User};
use http_body_util::BodyExt;
use tower::{Layer, ServiceExt, service_fn};

const HASH: &str = "pbkdf2_sha256$1500000$layer$notarealhashbutatokenapionlysignsit";

/// The handler behind the layer: who the layer said the user is.
async fn whoami(request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let body = match request.extensions().get::<DjangoUser>() {
        Some(user) => format!("{} {} {}", user.pk, user.username, user.method),
        None => match request.extensions().get::<Refused>() {
            Some(refused) => format!("anonymous {}", refused.status.as_u16()),
            None => "anonymous".to_owned(),
        },
    };
    Ok(Response::new(Body::from(body)))
}

async fn answer(response: Response<Body>) -> (StatusCode, Vec<(String, String)>, String) {
    let status = response.status();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !name.as_str().starts_with("x-auth-") && *name != "content-length")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn request(method: &str, uri: &str, authorization: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(Body::empty()).expect("a request")
}

#[tokio::test]
async fn the_layer_decides_every_request_as_auth_does() {
    let db = common::db::sqlite_with_users(
        "layer",
        &[common::db::UserRow {
            username: "alice",
            password: HASH,
            pk: "1",
            active: true,
        }],
        &[],
    )
    .await;
    let mut settings = Settings {
        database_url: format!("sqlite:{}", db.path.display()),
        secret_key: Some(SecretKey::new("layer-test-key")),
        authentication_methods: vec!["tokenapi".into()],
        ..Settings::default()
    };
    settings.serve.forwarded_uri_header = None;
    let state = Arc::new(AppState::new(&settings).await.expect("a server"));
    let gate = Arc::new(Gate::new(&settings).await.expect("a gate"));
    let token = TokenapiTokenGenerator::new(&SecretKeys::new("layer-test-key"))
        .make_token(&User::new(1, HASH));
    let basic = |user: &str, token: &str| {
        use base64::Engine;
        let pair = format!("{user}:{token}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let cases = [
        ("GET", format!("/x?user=1&token={token}"), None),
        ("POST", "/x".to_owned(), Some(basic("1", &token))),
        ("GET", "/x?user=1&token=0-0".to_owned(), None),
        ("GET", format!("/x?user=2&token={token}"), None),
        ("GET", "/x".to_owned(), None),
        ("GET", "/x".to_owned(), Some("Basic".to_owned())),
        ("GET", "/x".to_owned(), Some("Basic !!!!".to_owned())),
    ];
    let required = DjangoAuthLayer::new(Arc::clone(&gate)).layer(service_fn(whoami));
    let optional = DjangoAuthLayer::new(Arc::clone(&gate))
        .optional()
        .layer(service_fn(whoami));
    let mut allowed = 0;
    for (method, uri, authorization) in &cases {
        let auth_uri = format!("/auth{}", uri.trim_start_matches("/x"));
        let from_auth = router(Arc::clone(&state))
            .oneshot(request(method, &auth_uri, authorization.as_deref()))
            .await
            .expect("an answer");
        let from_auth_status = from_auth.status();
        let (status, headers, body) = answer(from_auth).await;
        let (layer_status, layer_headers, layer_body) = answer(
            required
                .clone()
                .oneshot(request(method, uri, authorization.as_deref()))
                .await
                .expect("an answer"),
        )
        .await;
        let (_, _, optional_body) = answer(
            optional
                .clone()
                .oneshot(request(method, uri, authorization.as_deref()))
                .await
                .expect("an answer"),
        )
        .await;
        if from_auth_status == StatusCode::OK {
            allowed += 1;
            assert_eq!(layer_status, StatusCode::OK, "{method} {uri}");
            assert_eq!(layer_body, "1 alice tokenapi", "{method} {uri}");
            assert_eq!(optional_body, "1 alice tokenapi");
        } else {
            assert_eq!(
                (layer_status, layer_headers, layer_body),
                (status, headers, body),
                "{method} {uri} {authorization:?}"
            );
            assert_eq!(optional_body, format!("anonymous {}", status.as_u16()));
        }
    }
    // The two good tokens pass; the wrong, unknown, missing and malformed ones are refused.
    assert_eq!(allowed, 2);
}

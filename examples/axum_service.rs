//! A Rust service that accepts a Django project's credentials in process: the project's
//! `djtoken.toml` (written by `manage.py djtoken_config`), the tower layer in front of the
//! routes, and `DjangoUser` in the handlers.
//!
//! ```sh
//! cargo run --example axum_service --features axum,sqlite -- --config djtoken.toml --bind 127.0.0.1:8001
//! curl -H "Authorization: Token $DRF_KEY" http://127.0.0.1:8001/whoami
//! ```
//!
//! `GET /whoami` and `POST /whoami` answer `{"pk": …, "username": …, "email": …, "method":
//! …}` for an authenticated request and `/auth`'s refusal otherwise (a `POST` with the session
//! cookie needs Django's CSRF token, as in Django). The project's sessions (the `session`
//! method) give three more, each doing what `djtoken serve`'s `/session/` endpoint does:
//! `GET /csrf` (`{"csrf_token": …}` and the CSRF cookie), `POST /login` (form fields
//! `username` and `password`, CSRF-checked; `{"user": {…}, "csrf_token": …}` and the session
//! and CSRF cookies) and `POST /logout`. Every other path answers `{"open": true}` without
//! asking for a user. `SECRET_KEY` comes from the file the configuration names, or from
//! `DJTOKEN_SECRET_KEY`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use djtoken::gate::layer::DjangoAuthLayer;
use djtoken::gate::{CsrfToken, DjangoSession, DjangoUser, Gate, Refused};
use djtoken::{SecretKey, Settings};

/// Any other path: an answer that asks for no user (it is outside the layer), as a public
/// page of a service would be; `bench/layer_compare.py` measures it as the ceiling.
async fn open() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"open\": true}",
    )
}

/// `GET` and `POST /whoami`: who the layer says the user is.
async fn whoami(user: DjangoUser) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], user.to_json())
}

/// A JSON string.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string is JSON")
}

/// `GET /csrf`: a token for the next form, and the CSRF cookie.
async fn csrf(csrf: CsrfToken) -> impl IntoResponse {
    let body = format!("{{\"csrf_token\": {}}}", json_string(&csrf.token));
    (csrf, [(header::CONTENT_TYPE, "application/json")], body)
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

/// `POST /login`: the CSRF check (extracting the session), then Django's `authenticate()`
/// and `login()`.
async fn login(
    session: DjangoSession,
    Form(form): Form<LoginForm>,
) -> Result<impl IntoResponse, Refused> {
    let done = session.login(&form.username, &form.password).await?;
    let body = format!(
        "{{\"user\": {}, \"csrf_token\": {}}}",
        done.user.to_json(),
        json_string(&done.csrf_token)
    );
    Ok((done, [(header::CONTENT_TYPE, "application/json")], body))
}

/// `POST /logout`: Django's `logout()`.
async fn logout(session: DjangoSession) -> Result<impl IntoResponse, Refused> {
    let done = session.logout().await?;
    Ok((
        done,
        [(header::CONTENT_TYPE, "application/json")],
        "{\"logged_out\": true}",
    ))
}

/// `--config PATH --bind ADDRESS`.
fn arguments() -> Result<(PathBuf, SocketAddr), String> {
    let mut config = PathBuf::from("djtoken.toml");
    let mut bind: SocketAddr = ([127, 0, 0, 1], 8001).into();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--config" => config = PathBuf::from(value),
            "--bind" => bind = value.parse().map_err(|e| format!("--bind {value}: {e}"))?,
            other => {
                return Err(format!(
                    "unknown flag {other}: --config PATH --bind ADDRESS"
                ));
            }
        }
    }
    Ok((config, bind))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (config, bind) = arguments()?;
    let mut settings = Settings::from_file(&config)?;
    if let Ok(key) = std::env::var("DJTOKEN_SECRET_KEY") {
        settings.secret_key = Some(SecretKey::new(key));
    }
    settings.validate()?;
    // One gate per process: the database pool, the session store and the hashing capacity.
    let gate = Arc::new(Gate::new(&settings).await?);
    // The layer in front of the routes above it (`route_layer`); every other path is open.
    // The login and logout handlers take the gate from the state.
    let app = Router::new()
        .route("/whoami", get(whoami).post(whoami))
        .route("/csrf", get(csrf))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route_layer(DjangoAuthLayer::new(Arc::clone(&gate)).optional())
        .fallback(open)
        .with_state(gate);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    // The client's address, for the login throttle and django-axes.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}

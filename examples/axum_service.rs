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
//! cookie needs Django's CSRF token, as in Django); every other path answers `{"open": true}`
//! without asking for a user. `SECRET_KEY` comes from the file the
//! configuration names, or from `DJTOKEN_SECRET_KEY`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use djtoken::gate::layer::DjangoAuthLayer;
use djtoken::gate::{DjangoUser, Gate};
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
    // The layer in front of /whoami only (`route_layer`); every other path is open.
    let app = Router::new()
        .route("/whoami", get(whoami).post(whoami))
        .route_layer(DjangoAuthLayer::new(gate).optional())
        .fallback(open);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

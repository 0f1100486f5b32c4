//! Django's authentication dialect, byte for byte.
//!
//! djtoken makes and checks the tokens of the `django-tokenapi` app and of Django's own
//! `PasswordResetTokenGenerator`, exactly as Django 3.2 to 6.1 write them, so a Rust service
//! and a Django site that share a `SECRET_KEY` accept each other's tokens.
//!
//! ```
//! use djtoken::{SecretKeys, TokenapiTokenGenerator, User, Verdict};
//!
//! let generator = TokenapiTokenGenerator::new(&SecretKeys::new("django-insecure-…"));
//! // The pk and the password hash as they are in auth_user.
//! let user = User::new(1, "pbkdf2_sha256$1500000$abcdefghijklmnopqrstuv$…");
//! let token = generator.make_token(&user);
//! assert_eq!(generator.check(&user, &token), Verdict::Valid);
//! assert_eq!(generator.check(&user, "6y0-a438a0c8937197581e32"), Verdict::Invalid);
//! ```
//!
//! The core (`crypto`, `base36`, `clock`, `tokens`, `hashers`, `user`) does no I/O and is
//! all the default features build; [`settings`] holds every setting with Django's name.
//! The user store and login logic (`store`, `auth`: features `sqlite`, `postgres`, `mysql`), the HTTP
//! server (`server`) and the Python binding (`python`) are features; the `djtoken` command is
//! its own crate (`cli/` in the repository). `ARCHITECTURE.md` has the map.
//!
//! In a Rust service, `gate` (feature `gate`) decides a request's credentials as `djtoken
//! serve`'s `/auth` does — the project's `AUTHENTICATION_METHODS`: tokenapi, Django's session
//! with its CSRF check, DRF's tokens, knox, simplejwt —, `gate::layer::DjangoAuthLayer`
//! (feature `tower`) does it in front of any tower service, and `gate::DjangoUser` is the user
//! in an axum handler (feature `axum`). `examples/axum_service.rs` is a whole service:
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use djtoken::gate::{DjangoUser, Gate, layer::DjangoAuthLayer};
//!
//! async fn whoami(user: DjangoUser) -> String {
//!     format!("{} ({})", user.username, user.method)
//! }
//!
//! // The project's djtoken.toml, as `manage.py djtoken_config` writes it.
//! let settings = djtoken::Settings::from_file("djtoken.toml".as_ref())?;
//! let gate = Arc::new(Gate::new(&settings).await?);
//! let app: Router = Router::new()
//!     .route("/whoami", get(whoami))
//!     .layer(DjangoAuthLayer::new(gate));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8001").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

// One module uses CPU intrinsics (hashers/pbkdf2/shani.rs) and says why; nothing else may.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "store")]
pub mod auth;
#[cfg(feature = "store")]
pub mod axes;
pub mod base36;
pub mod clock;
pub mod crypto;
pub mod csrf;
pub mod drf;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "gate")]
pub mod gate;
pub mod hashers;
pub mod hosts;
pub mod knox;
#[cfg(feature = "python")]
mod python;
pub mod responses;
#[cfg(feature = "server")]
pub mod server;
pub mod sessions;
pub mod settings;
pub mod signing;
pub mod simplejwt;
#[cfg(feature = "store")]
pub mod store;
pub mod tokens;
pub mod urls;
pub mod user;
pub mod version;
pub mod wire;

pub use clock::Clock;
pub use crypto::{Algorithm, SecretKey, SecretKeys};
pub use settings::Settings;
pub use tokens::{PasswordResetTokenGenerator, ResetTokenConfig, TokenapiTokenGenerator, Verdict};
pub use user::{Pk, User};
pub use version::DjangoVersion;

/// The documentation's Rust examples run as doc tests (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryExamples;

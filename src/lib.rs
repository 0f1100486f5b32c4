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

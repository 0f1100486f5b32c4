//! `django.contrib.auth.hashers` in Rust: one trait, one file per family, and a registry
//! ([`Hashers`]) that plays the part of `PASSWORD_HASHERS`.
//!
//! A reader who knows Django's module finds the same verbs here: [`PasswordHasher`] has
//! `encode`, `decode`, `verify`, `must_update`, `harden_runtime` and `safe_summary`;
//! [`Hashers`] has `identify_hasher`, `check_password` and `make_password`; the free function
//! [`is_password_usable`] is Django's.
//!
//! Where Django raises on a corrupt hash with a known prefix (`ValueError`, argon2's
//! `InvalidHashError`…), djtoken returns a [`HashError`]; it never panics and never answers
//! "match" for a hash it could not read. Work factors read from a stored hash are capped by
//! [`WorkLimits`], so a planted hash cannot pin a CPU for minutes.
//!
//! ```
//! use djtoken::hashers::Hashers;
//! use djtoken::DjangoVersion;
//!
//! let hashers = Hashers::for_version(DjangoVersion::V3_2);
//! let encoded = hashers.make_password(b"correct horse", Some("abcdefghijklmnopqrstuv"), None).unwrap();
//! assert_eq!(encoded, "pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$c0Gs4T06doL7Px9MpUmUrfSiTwF30MbvoG4+XGm+zkQ=");
//! let check = hashers.check_password(b"correct horse", &encoded).unwrap();
//! assert!(check.is_correct && !check.must_update);
//! ```

mod argon2;
mod bcrypt;
#[cfg(feature = "legacy-hashers")]
mod legacy;
mod md5;
pub mod pbkdf2;
pub mod profiles;
mod scrypt;

use std::fmt;

use crate::crypto::{RANDOM_STRING_CHARS, get_random_string};
use crate::wire::pyint::{PyInt, parse_int};
pub use profiles::{Argon2Params, PROFILES, Profile, ScryptParams};

use crate::version::DjangoVersion;

/// `UNUSABLE_PASSWORD_PREFIX`.
pub const UNUSABLE_PASSWORD_PREFIX: &str = "!";
/// `UNUSABLE_PASSWORD_SUFFIX_LENGTH`.
pub const UNUSABLE_PASSWORD_SUFFIX_LENGTH: usize = 40;
/// The salt entropy Django requires (bits); shorter salts must be updated.
pub const SALT_ENTROPY: f64 = 128.0;

/// Why a hash could not be made or read.
///
/// Messages name the algorithm and the problem, never the password or the hash itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The algorithm is not in the configured `PASSWORD_HASHERS`.
    #[error("unknown password hashing algorithm {0:?}: it is not in PASSWORD_HASHERS")]
    UnknownAlgorithm(String),
    /// A hash with a known prefix whose rest does not parse.
    #[error("malformed {algorithm} hash: {reason}")]
    Malformed {
        /// The algorithm the prefix named.
        algorithm: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A work factor that is not an integer.
    #[error("malformed {algorithm} hash: {what} is not an integer")]
    NotAnInteger {
        /// The algorithm the prefix named.
        algorithm: &'static str,
        /// Which factor.
        what: &'static str,
    },
    /// A work factor beyond what [`WorkLimits`] allows.
    #[error("{algorithm} hash asks for {what} {value}, above the configured limit of {limit}")]
    WorkFactorTooHigh {
        /// The algorithm.
        algorithm: &'static str,
        /// Which factor.
        what: &'static str,
        /// Its value in the hash.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A work factor or parameter the algorithm itself rejects.
    #[error("{algorithm}: {reason}")]
    InvalidParameter {
        /// The algorithm.
        algorithm: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// bcrypt takes at most 72 bytes (Django with bcrypt ≥ 5 raises the same).
    #[error("password cannot be longer than 72 bytes for bcrypt; use bcrypt_sha256")]
    PasswordTooLong,
    /// A salt that is empty or contains `$` (or, for bcrypt, is not a bcrypt salt).
    #[error("invalid salt for {algorithm}: {reason}")]
    InvalidSalt {
        /// The algorithm.
        algorithm: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// An algorithm Django no longer writes; djtoken only verifies it.
    #[error("{0} is verify-only: Django no longer writes it, and neither does djtoken")]
    VerifyOnly(&'static str),
}

impl HashError {
    pub(crate) fn malformed(algorithm: &'static str, reason: &'static str) -> Self {
        HashError::Malformed { algorithm, reason }
    }
}

/// Work factors read from a hash, by family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkFactors {
    /// md5, sha1 and the unsalted hashers.
    None,
    /// PBKDF2.
    Iterations(u32),
    /// Argon2.
    Argon2 {
        /// `argon2id`, `argon2i` or `argon2d`.
        variety: String,
        /// 19 (0x13) or 16 (0x10).
        version: u32,
        /// KiB.
        memory_cost: u32,
        /// Passes.
        time_cost: u32,
        /// Lanes.
        parallelism: u32,
    },
    /// bcrypt and bcrypt_sha256: the log2 cost.
    Bcrypt {
        /// Rounds.
        work_factor: u32,
    },
    /// scrypt.
    Scrypt {
        /// N.
        work_factor: u64,
        /// r.
        block_size: u32,
        /// p.
        parallelism: u32,
    },
}

/// What `decode()` returns: the parts of an encoded hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The algorithm name.
    pub algorithm: &'static str,
    /// The salt as Django's `decode` gives it (empty for unsalted hashers).
    pub salt: String,
    /// The hash or checksum part.
    pub hash: String,
    /// The work factors.
    pub work: WorkFactors,
}

/// One Django password hasher (`BasePasswordHasher`).
pub trait PasswordHasher: Send + Sync + fmt::Debug {
    /// `algorithm`: the prefix of the encoded string.
    fn algorithm(&self) -> &'static str;

    /// `salt()`: a fresh salt for `encode`.
    fn salt(&self) -> String {
        get_random_string(salt_chars(), RANDOM_STRING_CHARS)
    }

    /// `encode(password, salt)`.
    fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError>;

    /// `decode(encoded)`.
    fn decode(&self, encoded: &str) -> Result<Decoded, HashError>;

    /// `verify(password, encoded)`: `Ok(false)` for a wrong password.
    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError>;

    /// `must_update(encoded)`: would Django rehash this on the next successful login?
    fn must_update(&self, encoded: &str) -> Result<bool, HashError>;

    /// `harden_runtime(password, encoded)`: spend the time a wrong password on an up-to-date
    /// hash would have cost, so that old hashes do not answer faster.
    fn harden_runtime(&self, password: &[u8], encoded: &str) -> Result<(), HashError> {
        let _ = (password, encoded);
        Ok(())
    }

    /// `safe_summary(encoded)`: the parts, with salt and hash masked.
    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError>;
}

/// `ceil(128 / log2(62))` = 22 characters: what `BasePasswordHasher.salt()` draws.
pub fn salt_chars() -> usize {
    (SALT_ENTROPY / (RANDOM_STRING_CHARS.len() as f64).log2()).ceil() as usize
}

/// `must_update_salt(salt, 128)`: fewer than 22 characters from the 62-letter alphabet.
pub fn must_update_salt(salt: &str) -> bool {
    salt.chars().count() as f64 * (RANDOM_STRING_CHARS.len() as f64).log2() < SALT_ENTROPY
}

/// `mask_hash(hash, show, char="*")`.
pub fn mask_hash(hash: &str, show: usize) -> String {
    let shown: String = hash.chars().take(show).collect();
    let hidden = hash.chars().count().saturating_sub(show);
    shown + &"*".repeat(hidden)
}

/// `is_password_usable(encoded)`: `None` and `""` count as usable, anything starting with
/// `!` does not.
pub fn is_password_usable(encoded: Option<&str>) -> bool {
    encoded.is_none_or(|e| !e.starts_with(UNUSABLE_PASSWORD_PREFIX))
}

/// `make_password(None)`: `!` and 40 random characters.
pub fn make_unusable_password() -> String {
    format!(
        "{UNUSABLE_PASSWORD_PREFIX}{}",
        get_random_string(UNUSABLE_PASSWORD_SUFFIX_LENGTH, RANDOM_STRING_CHARS)
    )
}

/// Python's `int(text)` for a work factor inside a hash: lenient spellings give a number
/// (which then fails the whole-string comparison, as in Django), garbage is an error.
pub(crate) fn parse_factor(
    text: &str,
    algorithm: &'static str,
    what: &'static str,
) -> Result<i128, HashError> {
    match parse_int(text) {
        Ok(PyInt::Small(v)) => Ok(v),
        Ok(PyInt::Huge { .. }) => Err(HashError::WorkFactorTooHigh {
            algorithm,
            what,
            value: u64::MAX,
            limit: 0,
        }),
        Err(_) => Err(HashError::NotAnInteger { algorithm, what }),
    }
}

/// `_check_encode_args`: a salt must be given and cannot contain `$`.
pub(crate) fn check_salt(algorithm: &'static str, salt: &str) -> Result<(), HashError> {
    if salt.is_empty() || salt.contains('$') {
        return Err(HashError::InvalidSalt {
            algorithm,
            reason: "salt must be provided and cannot contain $",
        });
    }
    Ok(())
}

/// Ceilings on the work factors read from stored hashes. Defaults sit well above every
/// Django default (1,500,000 PBKDF2 iterations in 6.1, bcrypt 12, argon2 100 MiB and 2
/// passes), and a project's own configured factors raise them where they go further
/// ([`HasherParams::apply`]): a configured factor is trusted, a stored one is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkLimits {
    /// PBKDF2 iterations (default 20,000,000: about 1.5 s of SHA-256 here).
    pub max_pbkdf2_iterations: u32,
    /// bcrypt log2 rounds (default 16: 16× Django's 12).
    pub max_bcrypt_rounds: u32,
    /// Argon2 memory in KiB (default 256 MiB: 2.5× Django's 100 MiB; a planted 1 GiB hash
    /// cost 1.1 GB and 13 s per login at the former 1 GiB cap).
    pub max_argon2_memory_kib: u32,
    /// Argon2 passes (default 8: 4× Django's 2).
    pub max_argon2_time_cost: u32,
    /// Argon2 lanes (default 16: 2× Django's 8).
    pub max_argon2_parallelism: u32,
    /// scrypt memory, `128·r·(N + p + 2)` bytes as OpenSSL counts it. The default, 32 MiB,
    /// is OpenSSL's own limit when Django passes `maxmem=0`, so Django could not verify a
    /// hash above it either.
    pub max_scrypt_memory: u64,
    /// scrypt `N·r·p` (default 2²⁴: 25× Django's 2¹⁴·8·5).
    pub max_scrypt_work: u64,
}

impl Default for WorkLimits {
    fn default() -> Self {
        WorkLimits {
            max_pbkdf2_iterations: 20_000_000,
            max_bcrypt_rounds: 16,
            max_argon2_memory_kib: 256 * 1024,
            max_argon2_time_cost: 8,
            max_argon2_parallelism: 16,
            max_scrypt_memory: 32 * 1024 * 1024,
            max_scrypt_work: 1 << 24,
        }
    }
}

/// The settings of every hasher: one Django version's defaults, possibly changed the way a
/// project subclasses a hasher (`class MyPBKDF2(PBKDF2PasswordHasher): iterations = …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HasherSettings {
    /// The Django version whose behaviour `check_password` follows.
    pub version: DjangoVersion,
    /// PBKDF2 iterations (both digests).
    pub pbkdf2_iterations: u32,
    /// Argon2 work factors.
    pub argon2: Argon2Params,
    /// bcrypt rounds (both variants).
    pub bcrypt_rounds: u32,
    /// scrypt work factors (Django 3.2 has no scrypt class; djtoken uses 4.2's there).
    pub scrypt: ScryptParams,
    /// Ceilings on stored work factors.
    pub limits: WorkLimits,
}

impl HasherSettings {
    /// Django `version`'s defaults and the default limits.
    pub fn for_version(version: DjangoVersion) -> Self {
        let p = version.profile();
        HasherSettings {
            version,
            pbkdf2_iterations: p.pbkdf2_iterations,
            argon2: p.argon2,
            bcrypt_rounds: p.bcrypt_rounds,
            scrypt: p
                .scrypt
                .or(DjangoVersion::V4_2.profile().scrypt)
                .expect("Django 4.2 defines scrypt"),
            limits: WorkLimits::default(),
        }
    }
}

/// A `PASSWORD_HASHERS` class's own work factors, where a project's subclass sets them
/// (`class StrongPBKDF2(PBKDF2PasswordHasher): iterations = 2_000_000`). Each field is the
/// class attribute of the same name; unset ones keep the Django version's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HasherParams {
    /// PBKDF2 `iterations`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
    /// Argon2 `time_cost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_cost: Option<u32>,
    /// Argon2 `memory_cost` (KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_cost: Option<u32>,
    /// Argon2 and scrypt `parallelism`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// bcrypt `rounds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// scrypt `work_factor` (N).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_factor: Option<u64>,
    /// scrypt `block_size` (r).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_size: Option<u32>,
}

impl HasherParams {
    /// `base` with these factors applied to `kind`'s; a factor `kind` does not have is an
    /// error naming it.
    pub fn apply(&self, kind: HasherKind, base: &HasherSettings) -> Result<HasherSettings, String> {
        let mut settings = *base;
        let given: [(&str, bool); 7] = [
            ("iterations", self.iterations.is_some()),
            ("time_cost", self.time_cost.is_some()),
            ("memory_cost", self.memory_cost.is_some()),
            ("parallelism", self.parallelism.is_some()),
            ("rounds", self.rounds.is_some()),
            ("work_factor", self.work_factor.is_some()),
            ("block_size", self.block_size.is_some()),
        ];
        let accepted: &[&str] = match kind {
            HasherKind::Pbkdf2Sha256 | HasherKind::Pbkdf2Sha1 => &["iterations"],
            HasherKind::Argon2 => &["time_cost", "memory_cost", "parallelism"],
            HasherKind::BCryptSha256 | HasherKind::BCrypt => &["rounds"],
            HasherKind::Scrypt => &["work_factor", "block_size", "parallelism"],
            _ => &[],
        };
        if let Some((name, _)) = given
            .iter()
            .find(|(name, set)| *set && !accepted.contains(name))
        {
            return Err(format!("{kind} has no work factor {name:?}"));
        }
        let positive = |name: &str, v: u64| {
            if v == 0 {
                Err(format!("{kind}: {name} must be at least 1"))
            } else {
                Ok(())
            }
        };
        if let Some(n) = self.iterations {
            positive("iterations", n.into())?;
            settings.pbkdf2_iterations = n;
        }
        if let Some(n) = self.rounds {
            if !(4..=31).contains(&n) {
                return Err(format!("{kind}: rounds must be between 4 and 31"));
            }
            settings.bcrypt_rounds = n;
        }
        // What the project configures, it can also have stored.
        let limits = &mut settings.limits;
        limits.max_pbkdf2_iterations = limits.max_pbkdf2_iterations.max(settings.pbkdf2_iterations);
        limits.max_bcrypt_rounds = limits.max_bcrypt_rounds.max(settings.bcrypt_rounds);
        match kind {
            HasherKind::Argon2 => {
                if let Some(n) = self.time_cost {
                    positive("time_cost", n.into())?;
                    settings.argon2.time_cost = n;
                }
                if let Some(n) = self.memory_cost {
                    positive("memory_cost", n.into())?;
                    settings.argon2.memory_cost = n;
                }
                if let Some(n) = self.parallelism {
                    positive("parallelism", n.into())?;
                    settings.argon2.parallelism = n;
                }
                let (a, limits) = (settings.argon2, &mut settings.limits);
                limits.max_argon2_memory_kib = limits.max_argon2_memory_kib.max(a.memory_cost);
                limits.max_argon2_time_cost = limits.max_argon2_time_cost.max(a.time_cost);
                limits.max_argon2_parallelism = limits.max_argon2_parallelism.max(a.parallelism);
            }
            HasherKind::Scrypt => {
                if let Some(n) = self.work_factor {
                    positive("work_factor", n)?;
                    settings.scrypt.work_factor = n;
                }
                if let Some(n) = self.block_size {
                    positive("block_size", n.into())?;
                    settings.scrypt.block_size = n;
                }
                if let Some(n) = self.parallelism {
                    positive("parallelism", n.into())?;
                    settings.scrypt.parallelism = n;
                }
                let (s, limits) = (settings.scrypt, &mut settings.limits);
                limits.max_scrypt_work = limits.max_scrypt_work.max(s.work());
                limits.max_scrypt_memory = limits.max_scrypt_memory.max(s.memory());
            }
            _ => {}
        }
        Ok(settings)
    }
}

/// A hasher name in `PASSWORD_HASHERS` that djtoken does not know, or that the configured
/// Django version does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HasherConfigError {
    /// Neither a Django class path nor an algorithm name djtoken implements.
    #[error("unknown password hasher {0:?}")]
    Unknown(String),
    /// A `django.contrib.auth.hashers` class the configured version does not have.
    #[error("Django {version} has no {name}")]
    NotInVersion {
        /// The class path given.
        name: String,
        /// The configured version.
        version: DjangoVersion,
    },
    /// A legacy algorithm with the `legacy-hashers` feature off.
    #[error("{0} needs djtoken's legacy-hashers feature")]
    NeedsLegacyFeature(String),
    /// An empty list.
    #[error("PASSWORD_HASHERS is empty")]
    Empty,
}

/// The password hashers Django has shipped, one variant per class of
/// `django.contrib.auth.hashers`. Each knows its class name, its algorithm (the prefix of
/// the encoded string) and how to build itself; which versions define it is in
/// [`PROFILES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HasherKind {
    /// `PBKDF2PasswordHasher`: `pbkdf2_sha256`.
    Pbkdf2Sha256,
    /// `PBKDF2SHA1PasswordHasher`: `pbkdf2_sha1`.
    Pbkdf2Sha1,
    /// `Argon2PasswordHasher`: `argon2`.
    Argon2,
    /// `BCryptSHA256PasswordHasher`: `bcrypt_sha256`.
    BCryptSha256,
    /// `BCryptPasswordHasher`: `bcrypt`.
    BCrypt,
    /// `ScryptPasswordHasher`: `scrypt` (Django 4.0+).
    Scrypt,
    /// `MD5PasswordHasher`: `md5`.
    Md5,
    /// `SHA1PasswordHasher`: `sha1` (removed in Django 5.1; verify-only here).
    Sha1,
    /// `UnsaltedSHA1PasswordHasher`: `unsalted_sha1` (removed in 5.1; verify-only).
    UnsaltedSha1,
    /// `UnsaltedMD5PasswordHasher`: `unsalted_md5` (removed in 5.1; verify-only).
    UnsaltedMd5,
    /// `CryptPasswordHasher`: `crypt` (removed in 5.0; verify-only).
    Crypt,
}

impl HasherKind {
    /// Every hasher, in the order of Django's module.
    pub const ALL: [HasherKind; 11] = [
        HasherKind::Pbkdf2Sha256,
        HasherKind::Pbkdf2Sha1,
        HasherKind::Argon2,
        HasherKind::BCryptSha256,
        HasherKind::BCrypt,
        HasherKind::Scrypt,
        HasherKind::Md5,
        HasherKind::Sha1,
        HasherKind::UnsaltedSha1,
        HasherKind::UnsaltedMd5,
        HasherKind::Crypt,
    ];

    /// The `algorithm` attribute: the prefix of the encoded string.
    pub fn algorithm(self) -> &'static str {
        self.names().1
    }

    /// The class name in `django.contrib.auth.hashers`.
    pub fn class_name(self) -> &'static str {
        self.names().0
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            HasherKind::Pbkdf2Sha256 => ("PBKDF2PasswordHasher", "pbkdf2_sha256"),
            HasherKind::Pbkdf2Sha1 => ("PBKDF2SHA1PasswordHasher", "pbkdf2_sha1"),
            HasherKind::Argon2 => ("Argon2PasswordHasher", "argon2"),
            HasherKind::BCryptSha256 => ("BCryptSHA256PasswordHasher", "bcrypt_sha256"),
            HasherKind::BCrypt => ("BCryptPasswordHasher", "bcrypt"),
            HasherKind::Scrypt => ("ScryptPasswordHasher", "scrypt"),
            HasherKind::Md5 => ("MD5PasswordHasher", "md5"),
            HasherKind::Sha1 => ("SHA1PasswordHasher", "sha1"),
            HasherKind::UnsaltedSha1 => ("UnsaltedSHA1PasswordHasher", "unsalted_sha1"),
            HasherKind::UnsaltedMd5 => ("UnsaltedMD5PasswordHasher", "unsalted_md5"),
            HasherKind::Crypt => ("CryptPasswordHasher", "crypt"),
        }
    }

    /// The hasher whose algorithm is `algorithm`.
    pub fn from_algorithm(algorithm: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.algorithm() == algorithm)
    }

    /// The hasher whose class is called `class_name`.
    pub fn from_class_name(class_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.class_name() == class_name)
    }

    /// Hashers Django dropped, which djtoken only verifies (feature `legacy-hashers`).
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            HasherKind::Sha1
                | HasherKind::UnsaltedSha1
                | HasherKind::UnsaltedMd5
                | HasherKind::Crypt
        )
    }

    /// Whether this build of djtoken can use it.
    pub fn is_built(self) -> bool {
        !self.is_legacy() || cfg!(feature = "legacy-hashers")
    }

    /// This hasher, configured by `settings`.
    pub fn build(
        self,
        settings: &HasherSettings,
    ) -> Result<Box<dyn PasswordHasher>, HasherConfigError> {
        Ok(match self {
            HasherKind::Pbkdf2Sha256 => Box::new(pbkdf2::Pbkdf2PasswordHasher::sha256(settings)),
            HasherKind::Pbkdf2Sha1 => Box::new(pbkdf2::Pbkdf2PasswordHasher::sha1(settings)),
            HasherKind::Argon2 => Box::new(argon2::Argon2PasswordHasher::new(settings)),
            HasherKind::BCryptSha256 => Box::new(bcrypt::BCryptPasswordHasher::sha256(settings)),
            HasherKind::BCrypt => Box::new(bcrypt::BCryptPasswordHasher::plain(settings)),
            HasherKind::Scrypt => Box::new(scrypt::ScryptPasswordHasher::new(settings)),
            HasherKind::Md5 => Box::new(md5::Md5PasswordHasher),
            #[cfg(feature = "legacy-hashers")]
            HasherKind::Sha1 => Box::new(legacy::Sha1PasswordHasher),
            #[cfg(feature = "legacy-hashers")]
            HasherKind::UnsaltedSha1 => Box::new(legacy::UnsaltedSha1PasswordHasher),
            #[cfg(feature = "legacy-hashers")]
            HasherKind::UnsaltedMd5 => Box::new(legacy::UnsaltedMd5PasswordHasher),
            #[cfg(feature = "legacy-hashers")]
            HasherKind::Crypt => Box::new(legacy::CryptPasswordHasher),
            #[cfg(not(feature = "legacy-hashers"))]
            legacy @ (HasherKind::Sha1
            | HasherKind::UnsaltedSha1
            | HasherKind::UnsaltedMd5
            | HasherKind::Crypt) => {
                return Err(HasherConfigError::NeedsLegacyFeature(
                    legacy.algorithm().to_owned(),
                ));
            }
        })
    }
}

impl fmt::Display for HasherKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.algorithm())
    }
}

/// The hasher a `PASSWORD_HASHERS` entry names: a class path
/// (`django.contrib.auth.hashers.PBKDF2PasswordHasher`, `djtoken.hashers.…`, a project's own
/// module with Django's class name) or an algorithm name (`pbkdf2_sha256`).
pub fn resolve(entry: &str, version: DjangoVersion) -> Result<HasherKind, HasherConfigError> {
    let entry = entry.trim();
    let (module, class) = entry.rsplit_once('.').unwrap_or(("", entry));
    let kind = match HasherKind::from_class_name(class) {
        Some(kind) => {
            if module == "django.contrib.auth.hashers"
                && !version.profile().available.contains(&kind)
            {
                return Err(HasherConfigError::NotInVersion {
                    name: entry.to_owned(),
                    version,
                });
            }
            kind
        }
        None => HasherKind::from_algorithm(entry)
            .ok_or_else(|| HasherConfigError::Unknown(entry.to_owned()))?,
    };
    if !kind.is_built() {
        return Err(HasherConfigError::NeedsLegacyFeature(entry.to_owned()));
    }
    Ok(kind)
}

/// The outcome of `check_password`: Django 5.0's `verify_password` pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordCheck {
    /// The password matches the hash.
    pub is_correct: bool,
    /// The configured Django version would rehash it (other algorithm first in
    /// `PASSWORD_HASHERS`, other work factors in either direction, or a short salt).
    pub must_update: bool,
}

impl PasswordCheck {
    /// A correct password that Django would store again with the preferred hasher.
    pub fn needs_rehash(&self) -> bool {
        self.is_correct && self.must_update
    }

    /// `match`, `match-needs-rehash` or `mismatch`, as the CLI prints it.
    pub fn as_str(&self) -> &'static str {
        match (self.is_correct, self.must_update) {
            (true, false) => "match",
            (true, true) => "match-needs-rehash",
            (false, _) => "mismatch",
        }
    }
}

/// `PASSWORD_HASHERS`: the configured hashers, the first one preferred.
#[derive(Debug)]
pub struct Hashers {
    settings: HasherSettings,
    /// The preferred hasher's own settings (a project's class may have its own factors).
    preferred: HasherSettings,
    hashers: Vec<Box<dyn PasswordHasher>>,
}

impl Hashers {
    /// Django `version` with its default `PASSWORD_HASHERS` and work factors.
    pub fn for_version(version: DjangoVersion) -> Self {
        Self::new(HasherSettings::for_version(version), None)
            .expect("default PASSWORD_HASHERS are known")
    }

    /// The given settings, with `password_hashers` (class paths or algorithm names, preferred
    /// first) or the version's default list.
    pub fn new(
        settings: HasherSettings,
        password_hashers: Option<&[&str]>,
    ) -> Result<Self, HasherConfigError> {
        let kinds: Vec<HasherKind> = match password_hashers {
            Some(list) => list
                .iter()
                .map(|entry| resolve(entry, settings.version))
                .collect::<Result<_, _>>()?,
            None => settings.version.profile().password_hashers.to_vec(),
        };
        Self::with_kinds(settings, &kinds)
    }

    /// The given settings and hashers, preferred first.
    pub fn with_kinds(
        settings: HasherSettings,
        kinds: &[HasherKind],
    ) -> Result<Self, HasherConfigError> {
        let each: Vec<(HasherKind, HasherSettings)> =
            kinds.iter().map(|kind| (*kind, settings)).collect();
        Self::with_kind_settings(settings, &each)
    }

    /// Hashers with settings of their own (a project's subclasses with other work factors),
    /// preferred first; `settings` gives the Django version and the limits.
    pub fn with_kind_settings(
        settings: HasherSettings,
        kinds: &[(HasherKind, HasherSettings)],
    ) -> Result<Self, HasherConfigError> {
        if kinds.is_empty() {
            return Err(HasherConfigError::Empty);
        }
        Ok(Hashers {
            hashers: kinds
                .iter()
                .map(|(kind, own)| kind.build(own))
                .collect::<Result<_, _>>()?,
            preferred: kinds[0].1,
            settings,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &HasherSettings {
        &self.settings
    }

    /// The algorithms, preferred first.
    pub fn algorithms(&self) -> Vec<&'static str> {
        self.hashers.iter().map(|h| h.algorithm()).collect()
    }

    /// `get_hasher("default")`: the first in `PASSWORD_HASHERS`.
    pub fn default_hasher(&self) -> &dyn PasswordHasher {
        self.hashers[0].as_ref()
    }

    /// `get_hasher(algorithm)`.
    pub fn get_hasher(&self, algorithm: &str) -> Result<&dyn PasswordHasher, HashError> {
        self.hashers
            .iter()
            .find(|h| h.algorithm() == algorithm)
            .map(|h| h.as_ref())
            .ok_or_else(|| HashError::UnknownAlgorithm(algorithm.chars().take(40).collect()))
    }

    /// `identify_hasher(encoded)`, with Django's special cases for the unsalted hashers.
    pub fn identify_hasher(&self, encoded: &str) -> Result<&dyn PasswordHasher, HashError> {
        let len = encoded.chars().count();
        let algorithm = if (len == 32 && !encoded.contains('$'))
            || (len == 37 && encoded.starts_with("md5$$"))
        {
            "unsalted_md5"
        } else if len == 46 && encoded.starts_with("sha1$$") {
            "unsalted_sha1"
        } else {
            encoded.split('$').next().unwrap_or("")
        };
        self.get_hasher(algorithm)
    }

    /// `make_password(password, salt, hasher)`: `salt` `None` or empty draws a random one;
    /// `hasher` `None` is the preferred one.
    pub fn make_password(
        &self,
        password: &[u8],
        salt: Option<&str>,
        hasher: Option<&str>,
    ) -> Result<String, HashError> {
        let hasher = match hasher {
            None | Some("default") => self.default_hasher(),
            Some(name) => self.get_hasher(name)?,
        };
        let salt = match salt {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => hasher.salt(),
        };
        hasher.encode(password, &salt)
    }

    /// `check_password` / `verify_password`: whether `password` matches `encoded` and whether
    /// the configured Django version would rehash it.
    ///
    /// An unusable (`!…`) or unrecognised hash is a mismatch, after one run of the default
    /// hasher on Django 4.2+ (Django's fake runtime). A corrupt hash with a known prefix is an
    /// error. A wrong password on an outdated hash of the preferred algorithm runs
    /// `harden_runtime`, as Django does.
    pub fn check_password(
        &self,
        password: &[u8],
        encoded: &str,
    ) -> Result<PasswordCheck, HashError> {
        const MISMATCH: PasswordCheck = PasswordCheck {
            is_correct: false,
            must_update: false,
        };
        if !is_password_usable(Some(encoded)) {
            self.fake_runtime_if_django_does();
            return Ok(MISMATCH);
        }
        let hasher = match self.identify_hasher(encoded) {
            Ok(h) => h,
            Err(HashError::UnknownAlgorithm(_)) => {
                self.fake_runtime_if_django_does();
                return Ok(MISMATCH);
            }
            Err(e) => return Err(e),
        };
        let preferred = self.default_hasher();
        let hasher_changed = hasher.algorithm() != preferred.algorithm();
        let must_update = hasher_changed || preferred.must_update(encoded)?;
        let is_correct = hasher.verify(password, encoded)?;
        if !is_correct && !hasher_changed && must_update {
            hasher.harden_runtime(password, encoded)?;
        }
        Ok(PasswordCheck {
            is_correct,
            must_update,
        })
    }

    /// Django's fake runtime: hash a random 40-character password once with the default
    /// hasher. `ModelBackend` does this for unknown usernames (`set_password`), and
    /// `check_password` 4.2+ for unusable or unrecognised hashes, so that those answers take
    /// as long as a real check.
    pub fn run_fake_runtime(&self) {
        let random = get_random_string(UNUSABLE_PASSWORD_SUFFIX_LENGTH, RANDOM_STRING_CHARS);
        let _ = self.make_password(random.as_bytes(), None, None);
    }

    /// The memory one check of `encoded` takes, in bytes, from the work factors it names
    /// (Argon2's `m`, scrypt's `128·r·(N + p + 2)`); a few KiB for the other hashers, and for
    /// a hash no configured hasher reads. For bounding the memory of hashes in flight.
    pub fn memory_of(&self, encoded: &str) -> u64 {
        const SMALL: u64 = 64 * 1024;
        let Ok(hasher) = self.identify_hasher(encoded) else {
            return self.memory_of_default();
        };
        match hasher.decode(encoded).map(|d| d.work) {
            Ok(WorkFactors::Argon2 { memory_cost, .. }) => u64::from(memory_cost) * 1024,
            Ok(WorkFactors::Scrypt {
                work_factor,
                block_size,
                parallelism,
            }) => ScryptParams {
                work_factor,
                block_size,
                parallelism,
            }
            .memory(),
            _ => SMALL,
        }
    }

    /// The memory of one hash with the preferred hasher (a new password, the unknown-user
    /// dummy, Django's fake runtime).
    pub fn memory_of_default(&self) -> u64 {
        const SMALL: u64 = 64 * 1024;
        let s = &self.preferred;
        match self.default_hasher().algorithm() {
            "argon2" => u64::from(s.argon2.memory_cost) * 1024,
            "scrypt" => s.scrypt.memory(),
            _ => SMALL,
        }
    }

    /// `ModelBackend`'s unknown-user path: `UserModel().set_password(password)`.
    pub fn hash_for_timing(&self, password: &[u8]) {
        let _ = self.make_password(password, None, None);
    }

    fn fake_runtime_if_django_does(&self) {
        if self.settings.version.profile().fake_runtime {
            self.run_fake_runtime();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_are_22_characters() {
        assert_eq!(salt_chars(), 22);
        assert!(must_update_salt(&"a".repeat(21)));
        assert!(!must_update_salt(&"a".repeat(22)));
        assert!(must_update_salt("abcdefghijkl"));
    }

    #[test]
    fn usable_follows_django() {
        assert!(is_password_usable(None));
        assert!(is_password_usable(Some("")));
        assert!(!is_password_usable(Some("!abc")));
        let unusable = make_unusable_password();
        assert_eq!(unusable.len(), 41);
        assert!(!is_password_usable(Some(&unusable)));
    }

    #[test]
    fn mask_hash_counts_characters() {
        assert_eq!(mask_hash("abcdefgh", 6), "abcdef**");
        assert_eq!(mask_hash("ab", 6), "ab");
        assert_eq!(mask_hash("äöüßéèç", 2), "äö*****");
    }

    #[test]
    fn unknown_prefixes_are_a_mismatch_not_an_error() {
        let hashers = Hashers::for_version(DjangoVersion::V6_1);
        for encoded in ["", "nope", "md5$abc$def", "!unusable", "pbkdf2_sha3$1$a$b"] {
            let check = hashers
                .check_password(b"x", encoded)
                .expect("a mismatch, not an error");
            assert!(!check.is_correct, "{encoded:?}");
        }
    }

    #[test]
    fn password_hashers_accept_class_paths_and_names() {
        let settings = HasherSettings::for_version(DjangoVersion::V5_1);
        let hashers = Hashers::new(
            settings,
            Some(&[
                "django.contrib.auth.hashers.ScryptPasswordHasher",
                "pbkdf2_sha256",
                "djtoken.hashers.MD5PasswordHasher",
            ]),
        )
        .expect("a valid list");
        assert_eq!(hashers.algorithms(), ["scrypt", "pbkdf2_sha256", "md5"]);
        assert!(matches!(
            Hashers::new(
                settings,
                Some(&["django.contrib.auth.hashers.SHA1PasswordHasher"])
            ),
            Err(HasherConfigError::NotInVersion { .. })
        ));
        assert!(matches!(
            Hashers::new(settings, Some(&["whatever"])),
            Err(HasherConfigError::Unknown(_))
        ));
        assert!(matches!(
            Hashers::new(settings, Some(&[])),
            Err(HasherConfigError::Empty)
        ));
    }
}

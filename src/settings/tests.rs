use super::*;
use crate::user::{PkKind, UserModel};
use crate::version::DjangoVersion;

#[test]
fn one_trailing_newline_is_dropped() {
    assert_eq!(strip_newline("key\n".into()), "key");
    assert_eq!(strip_newline("key\r\n".into()), "key");
    assert_eq!(strip_newline("key \n\n".into()), "key \n");
}

#[test]
fn fallbacks_are_one_per_line() {
    let keys = split_keys("a\r\n\nb c\n");
    assert_eq!(keys, vec![SecretKey::new("a"), SecretKey::new("b c")]);
}

#[test]
fn passwords_from_files_complete_the_connection_urls() {
    let dir = std::env::temp_dir().join(format!("djtoken-pw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("password");
    std::fs::write(&file, "p@ss/w:rd\n").expect("written");
    let mut settings = Settings {
        database_url: "postgres://alice@db/app".into(),
        database_password_file: Some(file.clone()),
        session_cache_url: Some("redis://cache:6379/0?key_prefix=p, redis://replica:6379/0".into()),
        session_cache_password_file: Some(file.clone()),
        ..Settings::default()
    };
    assert_eq!(
        settings.database_connection_url().as_deref(),
        Ok("postgres://alice:p%40ss%2Fw%3Ard@db/app")
    );
    assert_eq!(
        settings.session_cache_connection_url(),
        Ok(Some(
            "redis://:p%40ss%2Fw%3Ard@cache:6379/0?key_prefix=p,redis://:p%40ss%2Fw%3Ard@replica:6379/0"
                .into()
        ))
    );
    // A password given both ways, or to a database that has none, is an error.
    settings.database_url = "postgres://alice:old@db/app".into();
    let both = settings
        .database_connection_url()
        .expect_err("two passwords");
    assert!(!both.to_string().contains("old"), "{both}");
    settings.database_url = "sqlite:db.sqlite3".into();
    assert!(settings.database_connection_url().is_err());
    settings.session_cache_url = None;
    assert!(settings.session_cache_connection_url().is_err());
    std::fs::remove_dir_all(&dir).expect("removed");
}

#[test]
fn defaults_are_djangos_and_valid() {
    let settings = Settings::default();
    settings.validate().expect("the defaults are valid");
    assert_eq!(settings.version(), DjangoVersion::LATEST);
    assert!(!settings.rehash());
    assert_eq!(settings.token_timeout_days, 7);
    assert_eq!(settings.password_reset_timeout, 259_200);
    assert_eq!(settings.user_model().expect("valid"), UserModel::default());
    assert_eq!(settings.serve.prefix(), "/token/");
}

#[test]
fn sessions_djtoken_cannot_read_stop_only_what_uses_them() {
    let settings = Settings {
        session_engine: "django.contrib.sessions.backends.cache".into(),
        session_serializer: "django.contrib.sessions.serializers.PickleSerializer".into(),
        ..Settings::default()
    };
    settings.validate().expect("tokens still work");
    let err = settings.session_config().expect_err("sessions do not");
    assert!(err.to_string().contains("JSON sessions only"), "{err}");
    let settings = Settings {
        authentication_methods: vec!["session".into()],
        ..settings
    };
    assert!(
        settings.validate().is_err(),
        "the session method needs them"
    );
}

#[test]
fn prefixes_are_normalised() {
    assert_eq!(normalize_prefix("/token/"), "/token/");
    assert_eq!(normalize_prefix("token"), "/token/");
    assert_eq!(normalize_prefix("/api/token"), "/api/token/");
    assert_eq!(normalize_prefix("/"), "/");
    assert_eq!(normalize_prefix(""), "/");
}

#[test]
fn each_bad_value_names_its_key() {
    type Change = Box<dyn Fn(&mut Settings)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "TIME_ZONE",
            Box::new(|s| s.time_zone = "Mars/Olympus".into()),
        ),
        ("QUERY_TIMEOUT", Box::new(|s| s.query_timeout = 0.0)),
        (
            "PASSWORD_HASHERS",
            Box::new(|s| s.password_hashers = vec!["nope".into()]),
        ),
        (
            "USER_MODEL",
            Box::new(|s| s.user_model.table = "a;b".into()),
        ),
        (
            "serve.header_timeout",
            Box::new(|s| s.serve.header_timeout = f64::NAN),
        ),
        (
            "serve.log_level",
            Box::new(|s| s.serve.log_level = "loud".into()),
        ),
        (
            "serve.session_prefix",
            Box::new(|s| {
                s.authentication_methods = vec!["session".into()];
                s.serve.session_prefix = "/auth/session".into();
            }),
        ),
        (
            "serve.drf_obtain_token_path",
            Box::new(|s| s.serve.drf_obtain_token_path = Some("/api/{token}/".into())),
        ),
        (
            "serve.drf_obtain_token_path",
            Box::new(|s| s.serve.drf_obtain_token_path = Some("/session/login/".into())),
        ),
        (
            "CSRF_COOKIE_SAMESITE",
            Box::new(|s| {
                s.authentication_methods = vec!["session".into()];
                s.csrf_cookie_samesite = "Sometimes".into();
            }),
        ),
    ];
    for (key, change) in cases {
        let mut settings = Settings::default();
        change(&mut settings);
        match settings.validate() {
            Err(SettingsError::Invalid { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: expected an error naming it, got {other:?}"),
        }
    }
}

#[test]
fn a_secret_key_is_required_once() {
    let mut settings = Settings::default();
    assert!(settings.secret_keys().is_err());
    settings.secret_key = Some(SecretKey::new("k"));
    assert_eq!(
        settings.secret_keys().expect("a key").current,
        SecretKey::new("k")
    );
    settings.secret_key_file = Some("/nonexistent".into());
    assert!(settings.secret_keys().is_err());
    settings.secret_key = Some(SecretKey::new(""));
    settings.secret_key_file = None;
    assert!(settings.secret_keys().is_err());
}

#[cfg(feature = "toml")]
#[test]
fn a_toml_file_fills_the_settings_and_names_a_bad_key() {
    let text = r#"
DJANGO_VERSION = "5.2"
TIME_ZONE = "Asia/Kolkata"
TOKEN_TIMEOUT_DAYS = 3
PASSWORD_HASHERS = ["argon2", "pbkdf2_sha256"]
CSRF_COOKIE_AGE = false

[PASSWORD_HASHER_PARAMS.pbkdf2_sha256]
iterations = 1200000

[USER_MODEL]
PK_TYPE = "uuid"
IS_ACTIVE_COLUMN = "none"

[serve]
bind = "127.0.0.1:9000"
"#;
    let (settings, keys) = Settings::from_toml(text).expect("a valid file");
    assert_eq!(settings.token_timeout_days, 3);
    assert_eq!(settings.user_model.is_active_column, None);
    assert_eq!(settings.csrf_cookie_age, None, "false is Django's None");
    assert!(keys.contains(&"PASSWORD_HASHER_PARAMS.pbkdf2_sha256.iterations".to_owned()));
    assert!(keys.contains(&"serve.bind".to_owned()));
    let hashers = settings.hashers().expect("valid hashers");
    assert_eq!(hashers.algorithms(), ["argon2", "pbkdf2_sha256"]);
    let encoded = hashers
        .make_password(b"pw", Some("abcdefghijklmnopqrstuv"), Some("pbkdf2_sha256"))
        .expect("hashes");
    assert!(encoded.starts_with("pbkdf2_sha256$1200000$"), "{encoded}");
    let (again, _) = Settings::from_toml(&settings.to_toml()).expect("round trip");
    assert_eq!(again, settings);

    let unknown = Settings::from_toml("TIME_ZONE = \"UTC\"\nTIME_ZOEN = \"UTC\"\n")
        .expect_err("an unknown key");
    assert_eq!(unknown.line, 2);
    assert!(unknown.message.contains("TIME_ZOEN"), "{unknown}");
    let wrong = Settings::from_toml("\nTOKEN_TIMEOUT_DAYS = \"three\"\n").expect_err("a string");
    assert_eq!(wrong.line, 2);
    assert!(wrong.message.contains("TOKEN_TIMEOUT_DAYS"), "{wrong}");
    let secret = Settings::from_toml("SECRET_KEY = \"x\"").expect_err("no secrets");
    assert!(secret.message.contains("SECRET_KEY"), "{secret}");
    let factor = Settings::from_toml("[PASSWORD_HASHER_PARAMS.argon2]\niterations = 5")
        .expect("parses")
        .0
        .hashers()
        .expect_err("argon2 has no iterations");
    assert!(factor.to_string().contains("iterations"), "{factor}");
}

#[test]
fn signed_cookies_follow_the_configured_patch_release() {
    let cookies = |json: &str| {
        let mut settings: Settings = serde_json::from_str(json).expect("valid settings");
        settings.secret_key = Some(SecretKey::new("cookie-key"));
        settings.cookie_signing().expect("cookie signing")
    };
    let legacy = cookies(r#"{"DJANGO_VERSION": "5.2.14"}"#).sign("n", "v", "s", 1);
    let v2 = cookies(r#"{"DJANGO_VERSION": "5.2.15"}"#).sign("n", "v", "s", 1);
    assert_ne!(legacy, v2);
    assert_eq!(
        cookies(r#"{"DJANGO_VERSION": "5.2"}"#).sign("n", "v", "s", 1),
        legacy
    );
    assert_eq!(
        cookies(r#"{"DJANGO_VERSION": "6.1.3"}"#).sign("n", "v", "s", 1),
        v2
    );
    // 5.2.15 reads the legacy salt by default; 6.1 only when told to.
    let read = |json: &str| cookies(json).unsign("n", &legacy, "s", None, 1.0).is_ok();
    assert!(read(r#"{"DJANGO_VERSION": "5.2.15"}"#));
    assert!(!read(
        r#"{"DJANGO_VERSION": "5.2.15", "SIGNED_COOKIE_LEGACY_SALT_FALLBACK": false}"#
    ));
    assert!(!read(r#"{"DJANGO_VERSION": "6.1"}"#));
    assert!(read(
        r#"{"DJANGO_VERSION": "6.1", "SIGNED_COOKIE_LEGACY_SALT_FALLBACK": true}"#
    ));
}

#[test]
fn deserialises_djangos_names_and_refuses_unknown_keys() {
    let json = r#"{"DJANGO_VERSION": "5.2.8", "TIME_ZONE": "Europe/Paris",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.Argon2PasswordHasher"],
        "USER_MODEL": {"PK_TYPE": "uuid", "EMAIL_FIELD": "none"},
        "serve": {"bind": "127.0.0.1:0", "log_format": "json"}}"#;
    let settings: Settings = serde_json::from_str(json).expect("valid settings");
    assert_eq!(
        settings.django_version,
        Some(DjangoRelease {
            series: DjangoVersion::V5_2,
            patch: Some(8)
        })
    );
    assert_eq!(settings.version(), DjangoVersion::V5_2);
    assert_eq!(settings.user_model.pk_type, PkKind::Uuid);
    assert_eq!(settings.user_model.email_field, None);
    assert_eq!(settings.serve.log_format, LogFormat::Json);
    assert_eq!(settings.token_timeout_days, 7);
    assert_eq!(settings.hashers().expect("valid").algorithms()[0], "argon2");
    let unknown = serde_json::from_str::<Settings>(r#"{"SECRET_KEY": "inline"}"#)
        .expect_err("secrets are never settings values");
    assert!(unknown.to_string().contains("SECRET_KEY"), "{unknown}");
    assert!(serde_json::from_str::<Settings>(r#"{"DJANGO_VERSION": "4.3"}"#).is_err());
}

#[test]
fn every_key_is_declared_once_with_its_flag() {
    let keys = Settings::keys();
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    // Tables flattened, fields without a key (the secrets themselves) left out.
    for name in [
        "TIME_ZONE",
        "USER_MODEL.TABLE",
        "serve.bind",
        "SIMPLE_JWT.LEEWAY",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.contains("SECRET_KEY") && !n.ends_with("_FILE"))
    );
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a key declared twice");
    // Every flag and variable once, and the doc of every key written.
    let flags: Vec<_> = keys.iter().filter_map(|k| k.flag).collect();
    let mut longs: Vec<_> = flags.iter().map(|f| f.long).collect();
    longs.sort_unstable();
    longs.dedup();
    assert_eq!(longs.len(), flags.len(), "a flag declared twice");
    assert!(flags.iter().all(|f| f.env.starts_with("DJTOKEN_")));
    assert!(
        keys.iter().all(|k| !k.summary().is_empty()),
        "a key without a doc"
    );
    let time_zone = keys.iter().find(|k| k.name == "TIME_ZONE").unwrap();
    assert_eq!(time_zone.flag.unwrap().env, "DJTOKEN_TIME_ZONE");
}

#[test]
fn a_flag_sets_its_key_through_the_declared_type() {
    let mut settings = Settings::default();
    settings.set_flag("TIME_ZONE", "Asia/Kolkata").unwrap();
    settings.set_flag("serve.pool_size", "7").unwrap();
    settings.set_flag("serve.user_cache_notify", "yes").unwrap();
    settings.set_flag("USER_MODEL.EMAIL_FIELD", "none").unwrap();
    settings
        .set_flag("PASSWORD_HASHERS", "argon2, pbkdf2_sha256")
        .unwrap();
    settings.set_flag("serve.log_format", "json").unwrap();
    settings.set_flag("TOKEN_TIMEOUT_DAYS", "-1").unwrap();
    assert_eq!(settings.time_zone, "Asia/Kolkata");
    assert_eq!(settings.serve.pool_size, Some(7));
    assert!(settings.serve.user_cache_notify);
    assert_eq!(settings.user_model.email_field, None);
    assert_eq!(settings.password_hashers, ["argon2", "pbkdf2_sha256"]);
    assert_eq!(settings.serve.log_format, LogFormat::Json);
    assert_eq!(settings.token_timeout_days, -1);
    assert!(settings.set_flag("serve.pool_size", "many").is_err());
    assert!(settings.set_flag("serve.bind", "nowhere").is_err());
    assert!(
        settings.set_flag("USE_TZ", "true").is_err(),
        "a key without a flag"
    );
    assert!(settings.set_flag("NO_SUCH_KEY", "1").is_err());
}

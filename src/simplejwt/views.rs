//! simplejwt's views (`TokenObtainPairView`, `TokenRefreshView`, `TokenVerifyView`,
//! `TokenBlacklistView`): their serializers' fields and their JSON answers byte for byte,
//! behind DRF's default parsers and renderers. The password check and the tables are the
//! caller's. Checked against the real views in `tests/django_simplejwt.rs`.

use crate::drf::parsers::{self, json_text};
pub use crate::drf::parsers::{Submitted, method_not_allowed};

/// `Allow` on every answer.
pub const ALLOW: &str = "POST, OPTIONS";

/// One of the views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// `TokenObtainPairView`: username and password → refresh and access tokens.
    ObtainPair,
    /// `TokenRefreshView`: refresh → access (and a rotated refresh).
    Refresh,
    /// `TokenVerifyView`: any valid token → `{}`.
    Verify,
    /// `TokenBlacklistView`: refresh → blacklisted.
    Blacklist,
}

impl View {
    /// The serializer's writable `CharField`s (name, `trim_whitespace`) in its order; the
    /// obtain view's first field is `USERNAME_FIELD`. simplejwt's `PasswordField` strips
    /// (DRF's `obtain_auth_token` does not).
    pub fn fields(self, username_field: &str) -> Vec<(String, bool)> {
        let names: Vec<&str> = match self {
            View::ObtainPair => vec![username_field, "password"],
            View::Refresh | View::Blacklist => vec!["refresh"],
            View::Verify => vec!["token"],
        };
        names.into_iter().map(|n| (n.to_owned(), true)).collect()
    }

    /// The view's name, as `SimpleMetadata` gives it (`get_view_name`).
    fn name(self) -> &'static str {
        match self {
            View::ObtainPair => "Token Obtain Pair",
            View::Refresh => "Token Refresh",
            View::Verify => "Token Verify",
            View::Blacklist => "Token Blacklist",
        }
    }

    /// The docstring `SimpleMetadata` gives as the description.
    fn description(self) -> &'static str {
        match self {
            View::ObtainPair => {
                "Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials."
            }
            View::Refresh => {
                "Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid."
            }
            View::Verify => {
                "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use."
            }
            View::Blacklist => {
                "Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed."
            }
        }
    }

    /// The answer to OPTIONS (`SimpleMetadata`): DRF's default renderers and parsers, and
    /// the serializer's fields (`label` is `USERNAME_FIELD`'s capitalised, as DRF makes it).
    pub fn metadata(self, username_field: &str) -> String {
        let field = |name: &str, required: bool, read_only: bool| {
            let label = label_of(name);
            format!(
                "{}:{{\"type\":\"string\",\"required\":{required},\"read_only\":{read_only},\"label\":{}}}",
                json_text(name),
                json_text(&label)
            )
        };
        let actions: Vec<String> = match self {
            View::ObtainPair => vec![
                field(username_field, true, false),
                field("password", true, false),
            ],
            View::Refresh => vec![field("refresh", true, false), field("access", false, true)],
            View::Verify => vec![field("token", true, false)],
            View::Blacklist => vec![field("refresh", true, false)],
        };
        format!(
            concat!(
                "{{\"name\":{},\"description\":{},",
                "\"renders\":[\"application/json\",\"text/html\"],",
                "\"parses\":[\"application/json\",\"application/x-www-form-urlencoded\",\"multipart/form-data\"],",
                "\"actions\":{{\"POST\":{{{}}}}}}}"
            ),
            json_text(self.name()),
            json_text(self.description()),
            actions.join(",")
        )
    }
}

/// DRF's default label: the field name with `_` as spaces, first letter upper case.
fn label_of(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// What a view makes of the request body: the fields' values, or DRF's answer.
pub fn read(
    view: View,
    username_field: &str,
    submitted: Submitted<'_>,
) -> Result<Vec<String>, (u16, String)> {
    let fields = view.fields(username_field);
    let fields: Vec<(&str, bool)> = fields.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    parsers::read_fields(submitted, &fields)
}

/// `{"refresh": …, "access": …}`.
pub fn pair(refresh: &str, access: &str) -> String {
    format!(
        "{{\"refresh\":{},\"access\":{}}}",
        json_text(refresh),
        json_text(access)
    )
}

/// The refresh view's answer: `{"access": …}`, and the rotated refresh token after it.
pub fn refreshed(access: &str, refresh: Option<&str>) -> String {
    match refresh {
        None => format!("{{\"access\":{}}}", json_text(access)),
        Some(refresh) => format!(
            "{{\"access\":{},\"refresh\":{}}}",
            json_text(access),
            json_text(refresh)
        ),
    }
}

/// `InvalidToken(message)`: 401, code `token_not_valid`.
pub fn invalid_token(message: &str) -> String {
    format!(
        "{{\"detail\":{},\"code\":\"token_not_valid\"}}",
        json_text(message)
    )
}

/// The obtain view when `authenticate` finds no active user: 401.
pub fn no_active_account() -> String {
    parsers::detail("No active account found with the given credentials")
}

/// The refresh view (5.4+) when the token's user is inactive: 401.
pub fn no_active_account_for_token() -> String {
    parsers::detail("No active account found for the given token.")
}

/// The verify view for a blacklisted token: 400.
pub fn blacklisted() -> String {
    parsers::non_field("Token is blacklisted")
}

/// The answer of the verify and blacklist views: `{}`.
pub const EMPTY: &str = "{}";

//! Credentials: user, API token or password, and where their secrets come from.
//!
//! Catches the common token mistakes (a token name in `user`, the full token ID in
//! `token_id`, a pasted `PVEAPIToken=` header) and says what to write instead, never
//! repeating a secret.

use super::parse::{Ctx, get_str};
use super::{Credentials, Problem, Secret};
use serde_json::{Map, Value};

/// Where a secret came from, or why it could not be had.
enum Lookup {
    Absent,
    Found(Secret, String),
    Failed,
}

fn lookup_secret(obj: &Map<String, Value>, keys: [&str; 3], ctx: &mut Ctx<'_>) -> Lookup {
    let [direct, env_key, file_key] = keys;
    let present: Vec<&str> = keys.iter().copied().filter(|k| obj.contains_key(*k)).collect();
    if present.len() > 1 {
        ctx.problem(present[1], format!("set only one of {}", present.join(", ")));
        return Lookup::Failed;
    }
    let Some(&key) = present.first() else { return Lookup::Absent };
    let Some(value) = get_str(obj, key, ctx) else { return Lookup::Failed };
    if key == direct {
        if value.is_empty() {
            ctx.problem(key, "is empty");
            return Lookup::Failed;
        }
        return Lookup::Found(Secret::new(value), ctx.label(key));
    }
    if key == env_key {
        return match ctx.env.get(&value).map(str::trim) {
            None => {
                ctx.problem(key, format!("environment variable {value} is not set"));
                Lookup::Failed
            }
            Some("") => {
                ctx.problem(key, format!("environment variable {value} is empty"));
                Lookup::Failed
            }
            Some(s) => Lookup::Found(Secret::new(s), format!("{key} (variable {value})")),
        };
    }
    debug_assert_eq!(key, file_key);
    let path = ctx.base_dir.join(&value);
    match std::fs::read_to_string(&path) {
        Err(e) => {
            ctx.problem(key, format!("cannot read {}: {e}", path.display()));
            Lookup::Failed
        }
        Ok(s) if s.trim().is_empty() => {
            ctx.problem(key, format!("{} is empty", path.display()));
            Lookup::Failed
        }
        Ok(s) => Lookup::Found(Secret::new(s.trim()), format!("{key} ({})", path.display())),
    }
}

pub(super) fn parse_credentials(obj: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Option<Credentials> {
    let before = ctx.problems.len();
    let user = get_str(obj, "user", ctx);
    let token_id = get_str(obj, "token_id", ctx);
    let token = lookup_secret(obj, ["token_secret", "token_secret_env", "token_secret_file"], ctx);
    let password = lookup_secret(obj, ["password", "password_env", "password_file"], ctx);
    let (u_label, t_label) = (ctx.label("user"), ctx.label("token_id"));

    // The user: `user@realm`, never with a token name.
    let mut user_ok = None;
    match user.as_deref() {
        None | Some("") => {
            let hint = match token_id.as_deref().and_then(|t| t.split_once('!')) {
                Some((u, t)) => format!(": write \"{u_label}\": \"{u}\", \"{t_label}\": \"{t}\""),
                None => ": write the PVE user with its realm, e.g. \"root@pam\"".into(),
            };
            ctx.problem("user", format!("missing{hint}"));
        }
        Some(u) if u.contains('!') => {
            let (plain, tok) = u.split_once('!').unwrap_or((u, ""));
            let (tok, secret_hint) = match tok.split_once('=') {
                Some((name, _)) => (name, format!(" and move the part after '=' to \"{}\"", ctx.label("token_secret"))),
                None => (tok, String::new()),
            };
            ctx.problem(
                "user",
                format!(
                    "'{}' contains the token name: write \"{u_label}\": \"{plain}\", \"{t_label}\": \"{tok}\"{secret_hint} \
                     (user is user@realm, token_id only the token's name)",
                    mask_secret(u)
                ),
            );
        }
        Some(u) if u.contains('=') => {
            ctx.problem("user", format!("'{}' contains '=': it must be only user@realm, e.g. \"root@pam\"", mask_secret(u)))
        }
        Some(u) if !u.contains('@') || u.ends_with('@') || u.starts_with('@') => ctx.problem(
            "user",
            format!("'{u}' has no realm: write it as user@realm, e.g. \"{}@pam\" (Linux PAM) or \"{}@pve\" (PVE's own users)", u.trim_matches('@'), u.trim_matches('@')),
        ),
        Some(u) if u.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':') => {
            ctx.problem("user", format!("'{u}' contains a space or ':'; it must be user@realm"))
        }
        Some(u) => user_ok = Some(u.to_owned()),
    }

    // The token name, never `user@realm!name`.
    let mut token_ok = None;
    if let Some(t) = token_id.as_deref() {
        if let Some((u, name)) = t.split_once('!') {
            let u = user_ok.as_deref().unwrap_or(u);
            let (name, secret_hint) = match name.split_once('=') {
                Some((name, _)) => (name, format!(" and move the part after '=' to \"{}\"", ctx.label("token_secret"))),
                None => (name, String::new()),
            };
            ctx.problem(
                "token_id",
                format!("'{}' is the full token ID: write only its name, \"{t_label}\": \"{name}\" (with \"{u_label}\": \"{u}\"){secret_hint}", mask_secret(t)),
            );
        } else if t.is_empty() {
            ctx.problem("token_id", "is empty: write the token's name, e.g. \"mcp\"");
        } else if t.contains('@') || t.contains('=') || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            ctx.problem(
                "token_id",
                format!(
                    "'{}' is not a token name: write only the name given when the token was created, e.g. \"mcp\"",
                    mask_secret(t)
                ),
            );
        } else {
            token_ok = Some(t.to_owned());
        }
    }

    // The secret, without a pasted header.
    let mut secret_ok = None;
    if let Lookup::Found(secret, from) = &token {
        let s = secret.expose();
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("authorization:") || lower.contains("pveapitoken") {
            let mut hint = String::new();
            if let Some((_, rest)) = s.split_once('=')
                && let Some((ident, _)) = rest.split_once('=')
                && let Some((u, t)) = ident.split_once('!')
            {
                hint = format!(" (this header is for \"{u_label}\": \"{u}\", \"{t_label}\": \"{t}\")");
            }
            ctx.problems.push(Problem {
                scope: ctx.scope.clone(),
                field: from.clone(),
                message: format!(
                    "contains the 'PVEAPIToken=' header, not just the secret: paste only the secret (the part after the last '=', a UUID){hint}"
                ),
            });
        } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            ctx.problems.push(Problem {
                scope: ctx.scope.clone(),
                field: from.clone(),
                message: "contains spaces or line breaks; paste only the secret".into(),
            });
        } else {
            secret_ok = Some(secret.clone());
        }
    }

    let has_token = token_id.is_some() || !matches!(token, Lookup::Absent);
    let has_password = !matches!(password, Lookup::Absent);
    if has_token && has_password {
        ctx.problem("", "both an API token and a password are set: keep one (an API token is recommended)");
    } else if !has_token && !has_password {
        ctx.problem(
            "",
            format!(
                "no credentials: set \"{t_label}\" and \"{}\" (an API token, recommended) or \"{}\"",
                ctx.label("token_secret"),
                ctx.label("password")
            ),
        );
    } else if has_token {
        if token_id.is_none() {
            ctx.problem("token_id", "missing: a token secret is set, so write the token's name too, e.g. \"mcp\"");
        }
        if matches!(token, Lookup::Absent) {
            ctx.problem(
                "token_secret",
                "missing: token_id is set, so set token_secret, token_secret_env or token_secret_file",
            );
        }
    }
    if ctx.problems.len() > before {
        return None;
    }
    let user = user_ok?;
    if has_token {
        Some(Credentials::Token { user, token_id: token_ok?, secret: secret_ok? })
    } else {
        let Lookup::Found(password, _) = password else { return None };
        Some(Credentials::Password { user, password })
    }
}

/// The text with everything after the first '=' replaced by `***`: a value pasted in the
/// wrong field may be `user@realm!token=SECRET`.
fn mask_secret(s: &str) -> String {
    match s.split_once('=') {
        Some((before, _)) => format!("{before}=***"),
        None => s.to_owned(),
    }
}

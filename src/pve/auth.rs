//! Authentication: API token headers, or tickets from a password login.
//!
//! Tickets (`PVEAuthCookie`) live two hours on PVE; [`TicketAuth`] renews one before it
//! runs out and shares one login among every concurrent call: callers queue on one lock,
//! the first logs in, the rest reuse its ticket.

use crate::config::Secret;
use reqwest::header::HeaderValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A ticket and its CSRF prevention token.
pub(crate) struct Ticket {
    /// `PVEAuthCookie=<ticket>`, marked sensitive.
    pub cookie: HeaderValue,
    /// The `CSRFPreventionToken` header value, marked sensitive.
    pub csrf: HeaderValue,
    obtained: Instant,
    generation: u64,
}

impl Ticket {
    /// Builds a ticket from PVE's login answer; the error never includes the values.
    pub fn new(ticket: &str, csrf: &str) -> Result<Ticket, String> {
        let mut cookie = HeaderValue::from_str(&format!("PVEAuthCookie={ticket}"))
            .map_err(|_| "the login answer's ticket is not a valid header value".to_owned())?;
        cookie.set_sensitive(true);
        let mut csrf = HeaderValue::from_str(csrf)
            .map_err(|_| "the login answer's CSRF token is not a valid header value".to_owned())?;
        csrf.set_sensitive(true);
        Ok(Ticket { cookie, csrf, obtained: Instant::now(), generation: 0 })
    }

    /// Identifies this login, to invalidate exactly it after a 401.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// How long tickets live and when to renew them.
#[derive(Debug, Clone, Copy)]
pub struct TicketPolicy {
    /// How long PVE accepts a ticket (two hours).
    pub lifetime: Duration,
    /// Renew when less than this is left.
    pub renew_margin: Duration,
}

impl Default for TicketPolicy {
    fn default() -> TicketPolicy {
        TicketPolicy { lifetime: Duration::from_secs(2 * 3600), renew_margin: Duration::from_secs(15 * 60) }
    }
}

/// Password credentials and the current ticket.
pub(crate) struct TicketAuth {
    pub user: String,
    pub password: Secret,
    policy: TicketPolicy,
    current: tokio::sync::Mutex<Option<Arc<Ticket>>>,
    generations: AtomicU64,
}

impl TicketAuth {
    pub fn new(user: String, password: Secret, policy: TicketPolicy) -> TicketAuth {
        TicketAuth { user, password, policy, current: tokio::sync::Mutex::new(None), generations: AtomicU64::new(0) }
    }

    /// The current ticket, logging in (once, for every waiting caller) when there is none
    /// or it is about to expire.
    pub async fn ticket<F, Fut, E>(&self, login: F) -> Result<Arc<Ticket>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Ticket, E>>,
    {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref() {
            let fresh_until = self.policy.lifetime.saturating_sub(self.policy.renew_margin);
            if t.obtained.elapsed() < fresh_until {
                return Ok(t.clone());
            }
            tracing::debug!(user = %self.user, "ticket is due for renewal; logging in again");
        }
        let mut ticket = login().await?;
        ticket.generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let ticket = Arc::new(ticket);
        *current = Some(ticket.clone());
        Ok(ticket)
    }

    /// Forgets the ticket of this generation (PVE refused it), unless a newer one has
    /// replaced it already.
    pub async fn invalidate(&self, generation: u64) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            *current = None;
        }
    }
}

/// The `Authorization` header of an API token, marked sensitive.
pub(crate) fn token_header(user: &str, token_id: &str, secret: &Secret) -> Result<HeaderValue, String> {
    let mut value =
        HeaderValue::from_str(&format!("PVEAPIToken={user}!{token_id}={}", secret.expose())).map_err(|_| {
            "the user, token_id or token secret contains characters not allowed in an HTTP header".to_owned()
        })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn one_login_is_shared_and_renewed_when_due() {
        let policy = TicketPolicy { lifetime: Duration::from_millis(200), renew_margin: Duration::from_millis(100) };
        let auth = Arc::new(TicketAuth::new("u@pve".into(), Secret::new("pw"), policy));
        let logins = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..20 {
            let (auth, logins) = (auth.clone(), logins.clone());
            handles.push(tokio::spawn(async move {
                auth.ticket(|| async {
                    logins.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Ticket::new("t", "c")
                })
                .await
                .unwrap()
                .generation()
            }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap(), 1);
        }
        assert_eq!(logins.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(120)).await;
        let t = auth.ticket(|| async { Ticket::new("t2", "c2") }).await.unwrap();
        assert_eq!(t.generation(), 2, "renewed once past lifetime - margin");
        auth.invalidate(1).await; // stale generation: no effect
        assert_eq!(auth.ticket(|| async { Ticket::new("t3", "c3") }).await.unwrap().generation(), 2);
        auth.invalidate(2).await;
        assert_eq!(auth.ticket(|| async { Ticket::new("t4", "c4") }).await.unwrap().generation(), 3);
    }

    #[test]
    fn header_values_are_sensitive() {
        let h = token_header("root@pam", "mcp", &Secret::new("s3cr3t")).unwrap();
        assert!(h.is_sensitive());
        assert!(!format!("{h:?}").contains("s3cr3t"));
        assert!(Ticket::new("PVE:x", "csrf").unwrap().cookie.is_sensitive());
    }
}

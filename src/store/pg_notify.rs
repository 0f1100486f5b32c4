//! Users read by pk on PostgreSQL, kept while PostgreSQL says the user table is unchanged.
//!
//! Opt-in (`serve.user_cache_notify`), because it needs a trigger in the project's database:
//! `djtoken db notify-trigger` adds a statement-level trigger to the user table that sends
//! `NOTIFY djtoken_user_changed` after every `INSERT`, `UPDATE`, `DELETE` and `TRUNCATE`. A
//! connection of the store's own `LISTEN`s, and each notification starts the cache afresh: the
//! rule of SQLite's change counter (a change empties the cache), with PostgreSQL telling
//! instead of a file header being read.
//!
//! A lookup keeps its answer only if no notification arrived while it ran, so an answer read
//! before a change is never kept after the change's notification. PostgreSQL sends it when the
//! change commits; a check in the moment between that commit and the notification's arrival
//! (well under a millisecond on one host) can still see the user as they were, as a check
//! already under way would. The cache is used only while the listening connection is up,
//! hears a notification it sends itself, and has found the trigger; it checks the last two
//! again every few seconds: a lost connection turns the cache off at once, a dropped trigger
//! (or notifications that stopped coming back) within those seconds, until all are back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use tokio_postgres::{AsyncMessage, NoTls};

use crate::user::{Pk, User, quote_identifier};

/// The trigger, its function and the channel share this name.
pub const NAME: &str = "djtoken_user_changed";

/// The payload of the notification the listener sends itself, to know it hears them.
const PROBE: &str = "djtoken: are notifications heard?";

/// How often the listener looks for the trigger again (and, after losing its connection,
/// tries to connect again).
const RECHECK: Duration = Duration::from_secs(5);

/// Users kept at most (the cache starts afresh beyond).
const CACHED_USERS: usize = 4096;

/// `tgtype`'s bits for INSERT (4), DELETE (8), UPDATE (16) and TRUNCATE (32).
const EVERY_CHANGE: i16 = 4 | 8 | 16 | 32;

/// The statements that add the trigger to `table` (replacing one of the same name).
pub fn install_sql(table: &str) -> String {
    let table = quote_identifier(table);
    format!(
        "BEGIN;
CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $djtoken$
BEGIN
    PERFORM pg_notify('{NAME}', TG_TABLE_NAME);
    RETURN NULL;
END
$djtoken$;
DROP TRIGGER IF EXISTS {NAME} ON {table};
CREATE TRIGGER {NAME} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE PROCEDURE {NAME}();
COMMIT;"
    )
}

/// The statement that removes the trigger from `table` (the function stays: another table's
/// trigger may use it).
pub fn drop_sql(table: &str) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {NAME} ON {};",
        quote_identifier(table)
    )
}

/// Whether the trigger is on the table, enabled, for every kind of change.
fn present_sql() -> String {
    format!(
        "SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = '{NAME}' \
         AND tgenabled <> 'D' AND (tgtype & {EVERY_CHANGE}::int2) = {EVERY_CHANGE}::int2"
    )
}

/// Users by pk, valid for one epoch: every notification, and every time the listener starts
/// or stops being able to tell, begins a new one.
pub struct UserCache {
    epoch: AtomicU64,
    live: AtomicBool,
    users: RwLock<(u64, HashMap<Pk, Option<User>>)>,
    started: AtomicBool,
}

impl UserCache {
    pub fn new() -> Self {
        UserCache {
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
            users: RwLock::new((0, HashMap::new())),
            started: AtomicBool::new(false),
        }
    }

    /// The epoch a lookup starts in; `None` while the cache cannot be trusted.
    pub fn begin(&self) -> Option<u64> {
        self.live
            .load(Ordering::SeqCst)
            .then(|| self.epoch.load(Ordering::SeqCst))
    }

    /// The user (or the absence of one) kept for `pk` in the current epoch.
    pub fn get(&self, pk: &Pk) -> Option<Option<User>> {
        let epoch = self.begin()?;
        let users = self.users.read().unwrap_or_else(|p| p.into_inner());
        if users.0 != epoch {
            return None;
        }
        users.1.get(pk).cloned()
    }

    /// Keep what a lookup that began in `epoch` found, unless a change was announced since.
    pub fn put(&self, epoch: u64, pk: &Pk, user: &Option<User>) {
        if self.begin() != Some(epoch) {
            return;
        }
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        // A newer epoch may begin right here: what is put now is tagged with the old one,
        // which no lookup reads any more.
        if users.0 != epoch || users.1.len() >= CACHED_USERS {
            users.1.clear();
            users.0 = epoch;
        }
        users.1.insert(pk.clone(), user.clone());
    }

    /// Whether lookups are being kept (the listener is connected and found the trigger).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::SeqCst);
        self.changed();
    }

    /// Start listening (once; the task ends with the store).
    pub fn start(
        self: &Arc<Self>,
        config: &tokio_postgres::Config,
        table: &str,
        database: &str,
        timeout: Duration,
    ) {
        if self.started.load(Ordering::Relaxed) || self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let listener = Listener {
            cache: Arc::downgrade(self),
            config: config.clone(),
            table: quote_identifier(table),
            database: database.to_owned(),
            timeout,
        };
        tokio::spawn(listener.run());
    }
}

struct Listener {
    cache: Weak<UserCache>,
    config: tokio_postgres::Config,
    /// Quoted, as `to_regclass` reads it.
    table: String,
    database: String,
    timeout: Duration,
}

/// Why the cache is off.
enum Off {
    /// The store is gone: the listener ends.
    StoreGone,
    /// The connection failed or closed.
    Lost(String),
}

impl Listener {
    async fn run(self) {
        let mut said = None;
        loop {
            let reason = match self.watch(&mut said).await {
                Off::StoreGone => return,
                Off::Lost(reason) => reason,
            };
            match self.cache.upgrade() {
                Some(cache) => cache.set_live(false),
                None => return,
            }
            if said.as_deref() != Some(reason.as_str()) {
                tracing::warn!(
                    database = %self.database,
                    reason = %reason,
                    "users read by pk are not cached until the change notifications are back"
                );
                said = Some(reason);
            }
            tokio::time::sleep(RECHECK).await;
        }
    }

    /// Connect, listen, and keep the cache on while the trigger is there; return when the
    /// connection is lost or the store is gone.
    async fn watch(&self, said: &mut Option<String>) -> Off {
        let connect = tokio::time::timeout(self.timeout, self.config.connect(NoTls)).await;
        let (client, mut connection) = match connect {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => return Off::Lost(format!("cannot connect: {e}")),
            Err(_) => return Off::Lost("connecting timed out".into()),
        };
        let cache = self.cache.clone();
        let heard = Arc::new(tokio::sync::Notify::new());
        let heard_by_driver = Arc::clone(&heard);
        // Every notification begins a new epoch; the connection's end turns the cache off
        // before anything else runs on this task.
        let mut driver = tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(note)) => match cache.upgrade() {
                        Some(cache) => {
                            cache.changed();
                            if note.payload() == PROBE {
                                heard_by_driver.notify_one();
                            }
                        }
                        None => return,
                    },
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            if let Some(cache) = cache.upgrade() {
                cache.set_live(false);
            }
        });
        let off = self.watch_on(&client, &heard, &mut driver, said).await;
        driver.abort();
        off
    }

    async fn watch_on(
        &self,
        client: &tokio_postgres::Client,
        heard: &tokio::sync::Notify,
        driver: &mut tokio::task::JoinHandle<()>,
        said: &mut Option<String>,
    ) -> Off {
        let listen = format!("LISTEN {NAME}");
        match tokio::time::timeout(self.timeout, client.batch_execute(&listen)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Off::Lost(format!("LISTEN failed: {e}")),
            Err(_) => return Off::Lost("LISTEN timed out".into()),
        }
        let present = present_sql();
        let probe = format!("NOTIFY {NAME}, '{PROBE}'");
        loop {
            // A notification of its own must come back: behind a pooler in transaction mode
            // the LISTEN and later notifications may belong to other server sessions, and a
            // cache that hears nothing must not be used.
            let sent = tokio::time::timeout(self.timeout, async {
                client.batch_execute(&probe).await?;
                heard.notified().await;
                Ok::<_, tokio_postgres::Error>(())
            })
            .await;
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Off::Lost(format!("NOTIFY failed: {e}")),
                Err(_) => {
                    return Off::Lost(
                        "a notification sent on the listening connection never came back to it \
                         (a connection pooler in transaction mode?)"
                            .into(),
                    );
                }
            }
            let found = tokio::time::timeout(
                self.timeout,
                client.query_opt(present.as_str(), &[&self.table]),
            )
            .await;
            let Some(cache) = self.cache.upgrade() else {
                return Off::StoreGone;
            };
            match found {
                Ok(Ok(Some(_))) => {
                    if !cache.is_live() {
                        cache.set_live(true);
                        tracing::info!(
                            database = %self.database,
                            "users read by pk are cached while PostgreSQL announces no change \
                             to the user table"
                        );
                        *said = None;
                    }
                }
                Ok(Ok(None)) => {
                    if cache.is_live() {
                        cache.set_live(false);
                    }
                    let reason = format!(
                        "the user table {} has no {NAME} trigger (djtoken db notify-trigger adds it)",
                        self.table
                    );
                    if said.as_deref() != Some(reason.as_str()) {
                        tracing::warn!(
                            database = %self.database,
                            reason = %reason,
                            "users read by pk are not cached"
                        );
                        *said = Some(reason);
                    }
                }
                Ok(Err(e)) => return Off::Lost(format!("looking for the trigger failed: {e}")),
                Err(_) => return Off::Lost("looking for the trigger timed out".into()),
            }
            drop(cache);
            tokio::select! {
                _ = tokio::time::sleep(RECHECK) => {}
                _ = &mut *driver => return Off::Lost("the connection closed".into()),
            }
        }
    }
}

//! The connections: a reader per slot in turn and one writer, each shared and pipelined,
//! replaced when it dies or lets a call time out.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

use tokio_postgres::{Client, NoTls, Statement};

use super::batch::Gather;
use super::{Shared, Use};
use crate::store::StoreError;

/// One live connection and the statements prepared on it.
pub(super) struct Conn {
    pub(super) client: Client,
    statements: Mutex<HashMap<String, Statement>>,
}

/// A place in the pool: the current connection, a lock so that only one caller reconnects it
/// at a time, and the lookups by pk waiting to travel on it together.
#[derive(Default)]
pub(super) struct Slot {
    current: RwLock<Option<Arc<Conn>>>,
    reconnect: tokio::sync::Mutex<()>,
    pub(super) gather: Mutex<Gather>,
}

impl Shared {
    /// The slot for a call: the next reader in turn, or the writer.
    pub(super) fn pick(&self, use_: Use) -> usize {
        let readers = self.slots.len() - 1;
        match use_ {
            Use::Read => self.next.fetch_add(1, Ordering::Relaxed) % readers,
            Use::Write => readers,
        }
    }

    /// The connection in slot `index`, connecting (again) if it is missing or dead.
    pub(super) async fn connection(&self, index: usize) -> Result<Arc<Conn>, StoreError> {
        let slot = &self.slots[index];
        let live = |slot: &Slot| {
            slot.current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .as_ref()
                .filter(|conn| !conn.client.is_closed())
                .cloned()
        };
        if let Some(conn) = live(slot) {
            return Ok(conn);
        }
        let _one_at_a_time = slot.reconnect.lock().await;
        if let Some(conn) = live(slot) {
            return Ok(conn);
        }
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| self.error(&e))?;
        // The connection task ends when the server or the network drops it; the client then
        // reports itself closed and the slot reconnects.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let conn = Arc::new(Conn {
            client,
            statements: Mutex::new(HashMap::new()),
        });
        *slot
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::clone(&conn));
        Ok(conn)
    }

    /// Stop handing out `conn`: a call on it timed out, so the server or the path to it may be
    /// stuck without the socket closing. Calls already on it finish or time out by themselves;
    /// the next call that picks the slot connects afresh.
    pub(super) fn retire(&self, index: usize, conn: &Arc<Conn>) {
        let mut current = self.slots[index]
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, conn)) {
            *current = None;
        }
    }

    /// Run `work` on a connection for `use_` within the query timeout, retiring the
    /// connection if the timeout passes. A read that loses its connection (the server
    /// restarted, an administrator killed the backend) runs once more on a fresh one, so a
    /// dropped connection costs a reconnect, not a failed check.
    pub(super) async fn on_connection<T, F>(
        &self,
        use_: Use,
        work: impl Fn(Arc<Conn>) -> F,
    ) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = Result<T, StoreError>>,
    {
        self.on_slot(self.pick(use_), use_, work).await
    }

    /// [`Self::on_connection`] on the connection of slot `index`.
    pub(super) async fn on_slot<T, F>(
        &self,
        index: usize,
        use_: Use,
        work: impl Fn(Arc<Conn>) -> F,
    ) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = Result<T, StoreError>>,
    {
        let deadline = tokio::time::Instant::now() + self.options.query_timeout;
        let mut retried = false;
        loop {
            let conn = tokio::time::timeout_at(deadline, self.connection(index))
                .await
                .map_err(|_| self.timeout())??;
            match tokio::time::timeout_at(deadline, work(Arc::clone(&conn))).await {
                Ok(Err(e)) if matches!(use_, Use::Read) && !retried && e.is_unavailable() => {
                    self.retire(index, &conn);
                    retried = true;
                }
                Ok(result) => return result,
                Err(_) => {
                    self.retire(index, &conn);
                    return Err(self.timeout());
                }
            }
        }
    }

    /// `sql` prepared on `conn`, once per connection.
    pub(super) async fn statement(&self, conn: &Conn, sql: &str) -> Result<Statement, StoreError> {
        let cached = conn
            .statements
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(sql)
            .cloned();
        if let Some(statement) = cached {
            return Ok(statement);
        }
        let statement = conn.client.prepare(sql).await.map_err(|e| self.error(&e))?;
        conn.statements
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

//! Lookups by pk in batches: while one is on its way, the lookups that arrive on the same
//! connection wait and then travel together as one `pk = ANY($1)` query.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::values::{Owned, bind_all, refs};
use super::{PgStore, Shared, Use, pk_in_range};
use crate::store::StoreError;
use crate::store::driver::Param;
use crate::user::{Pk, PkKind, User};

/// Lookups by pk waiting for the next batch on one connection.
#[derive(Default)]
pub(super) struct Gather {
    waiting: VecDeque<Waiter>,
    /// A task is sending batches on this connection; it takes the waiting lookups in turn
    /// and ends when none are left.
    sending: bool,
}

type Found = Result<Option<User>, StoreError>;

pub(super) struct Waiter {
    pk: Pk,
    reply: tokio::sync::oneshot::Sender<Found>,
}

/// Most pks in one `= ANY($1)` lookup.
const MOST_IN_A_BATCH: usize = 256;

impl PgStore {
    /// The user with this pk: from the notified cache when there is one, else the database.
    /// Integer and UUID keys are looked up in batches (see the module documentation); text
    /// keys one by one, so that matching rows to requests never depends on how the column's
    /// collation compares text.
    pub async fn user_by_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        let Some(cache) = &self.cache else {
            return self.user_by_pk_from_database(pk).await;
        };
        self.watch_changes();
        if let Some(user) = cache.get(pk) {
            return Ok(user);
        }
        let epoch = cache.begin();
        let user = self.user_by_pk_from_database(pk).await?;
        if let Some(epoch) = epoch {
            cache.put(epoch, pk, &user);
        }
        Ok(user)
    }

    async fn user_by_pk_from_database(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        if matches!(pk, Pk::Str(_)) || matches!(self.model.pk_kind, PkKind::String) {
            return self.user_by_one_pk(pk).await;
        }
        // Refuse what the column cannot hold before joining a batch.
        if let (Pk::Int(i), PkKind::Integer) = (pk, self.model.pk_kind) {
            pk_in_range(*i)?;
        }
        let index = self.pick(Use::Read);
        let (reply, found) = tokio::sync::oneshot::channel();
        let start = {
            let mut gather = self.slots[index]
                .gather
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            gather.waiting.push_back(Waiter {
                pk: pk.clone(),
                reply,
            });
            !std::mem::replace(&mut gather.sending, true)
        };
        if start {
            tokio::spawn(Arc::clone(&self.0).send_batches(index));
        }
        match tokio::time::timeout(self.options.query_timeout, found).await {
            Ok(Ok(found)) => found,
            // The batch task went away (the runtime is shutting down).
            Ok(Err(_)) => Err(self.unavailable("the lookup was abandoned".into())),
            Err(_) => Err(self.timeout()),
        }
    }
}

impl Shared {
    pub(super) async fn user_by_one_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        // PostgreSQL text cannot hold NUL; no row can match (Django raises ValueError here).
        if matches!(pk, Pk::Str(s) if s.contains('\0')) {
            return Ok(None);
        }
        let sql = &self.by_pk;
        let rows = self
            .on_connection(Use::Read, |conn| async move {
                let statement = self.statement(&conn, sql).await?;
                let params = [Param::Pk(pk.clone())];
                let bound = bind_all(&params, statement.params())?;
                conn.client
                    .query(&statement, &refs(&bound))
                    .await
                    .map_err(|e| self.error(&e))
            })
            .await?;
        rows.first().map(|row| self.read_user(row)).transpose()
    }

    /// Send the lookups waiting on connection `index` in batches until none are left.
    pub(super) async fn send_batches(self: Arc<Self>, index: usize) {
        // Should this task end early (its runtime shut down), the next lookup starts another.
        struct Sending<'a> {
            gather: &'a Mutex<Gather>,
            finished: bool,
        }
        impl Drop for Sending<'_> {
            fn drop(&mut self) {
                if !self.finished {
                    self.gather
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .sending = false;
                }
            }
        }
        let mut sending = Sending {
            gather: &self.slots[index].gather,
            finished: false,
        };
        loop {
            // Let the request tasks that are ready run first: their lookups join this batch
            // instead of paying a round trip (and the server's work) of their own.
            tokio::task::yield_now().await;
            let batch: Vec<Waiter> = {
                let mut gather = self.slots[index]
                    .gather
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                // Callers that gave up (timed out, hung up) need no answer.
                gather.waiting.retain(|w| !w.reply.is_closed());
                if gather.waiting.is_empty() {
                    // Under the lock that callers take to queue a lookup: one queued after
                    // this point starts a new task.
                    gather.sending = false;
                    sending.finished = true;
                    return;
                }
                let n = gather.waiting.len().min(MOST_IN_A_BATCH);
                gather.waiting.drain(..n).collect()
            };
            let found = self.users_by_pks(index, &batch).await;
            for waiter in batch {
                let answer = match &found {
                    Ok(users) => Ok(users.get(&waiter.pk).cloned()),
                    Err(e) => Err(e.clone()),
                };
                let _ = waiter.reply.send(answer);
            }
        }
    }

    /// The users among the waiters' pks, in one query on connection `index`.
    pub(super) async fn users_by_pks(
        &self,
        index: usize,
        batch: &[Waiter],
    ) -> Result<HashMap<Pk, User>, StoreError> {
        let mut seen = HashSet::new();
        let pks: Vec<&Pk> = batch
            .iter()
            .map(|w| &w.pk)
            .filter(|pk| seen.insert(*pk))
            .collect();
        // The array's element type is the column's (each value was checked to fit).
        let param: Owned = match self.model.pk_kind {
            PkKind::Integer => Box::new(
                pks.iter()
                    .filter_map(|pk| match pk {
                        Pk::Int(i) => i32::try_from(*i).ok(),
                        _ => None,
                    })
                    .collect::<Vec<i32>>(),
            ),
            PkKind::BigInteger => Box::new(
                pks.iter()
                    .filter_map(|pk| match pk {
                        Pk::Int(i) => Some(*i),
                        _ => None,
                    })
                    .collect::<Vec<i64>>(),
            ),
            PkKind::Uuid | PkKind::String => Box::new(
                pks.iter()
                    .filter_map(|pk| match pk {
                        Pk::Uuid(u) => Some(*u),
                        _ => None,
                    })
                    .collect::<Vec<Uuid>>(),
            ),
        };
        let sql = &self.by_pks;
        let rows = self
            .on_slot(index, Use::Read, |conn| {
                let param = param.as_ref();
                async move {
                    let statement = self.statement(&conn, sql).await?;
                    conn.client
                        .query(&statement, &[param])
                        .await
                        .map_err(|e| self.error(&e))
                }
            })
            .await?;
        rows.iter()
            .map(|row| self.read_user(row).map(|user| (user.pk.clone(), user)))
            .collect()
    }
}

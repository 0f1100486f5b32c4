//! The Redis cache behind `cache` and `cached_db` sessions, as Django's `RedisCache` and
//! django-redis use it: keys through `default_key_func`, integers stored raw and every other
//! value pickled, reads from a replica when `LOCATION` lists several servers (writes and
//! deletes on the first), timeouts as `EX` seconds (Django) or `PX` milliseconds
//! (django-redis).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::config::{CacheClient, CacheConfig};
use crate::store::StoreError;
use crate::urls::redact;

/// One project's session cache on Redis.
pub struct RedisCache {
    config: CacheConfig,
    /// `LOCATION`'s servers, in order: the first takes writes.
    servers: Vec<ConnectionManager>,
    database: String,
    timeout: Duration,
}

impl RedisCache {
    /// The cache `config` describes; connections open at the first command (a server that is
    /// down makes commands fail with [`StoreError::Unavailable`], not this call).
    pub fn open(config: CacheConfig, timeout: Duration) -> Result<Self, StoreError> {
        let database = config
            .locations
            .iter()
            .map(|l| redact(l))
            .collect::<Vec<_>>()
            .join(",");
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let servers = config
            .locations
            .iter()
            .map(|url| {
                redis::Client::open(url.as_str())
                    .and_then(|client| client.get_connection_manager_lazy(manager.clone()))
                    .map_err(|e| StoreError::InvalidUrl(format!("{}: {e}", redact(url))))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RedisCache {
            config,
            servers,
            database,
            timeout,
        })
    }

    /// The cache, without credentials.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// How the cache is configured.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// The connection for a read: a replica chosen at random when there are replicas.
    fn reader(&self) -> ConnectionManager {
        let n = self.servers.len();
        if n == 1 {
            return self.servers[0].clone();
        }
        let mut byte = [0u8; 1];
        crate::crypto::fill_random(&mut byte);
        self.servers[1 + usize::from(byte[0]) % (n - 1)].clone()
    }

    fn writer(&self) -> ConnectionManager {
        self.servers[0].clone()
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        mut conn: ConnectionManager,
        cmd: redis::Cmd,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await {
            Err(_) => Err(StoreError::Timeout {
                database: self.database.clone(),
                timeout: self.timeout,
            }),
            Ok(Err(e)) if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() => {
                Err(StoreError::Unavailable {
                    database: self.database.clone(),
                    reason: e.to_string(),
                })
            }
            Ok(Err(e))
                if e.kind() == redis::ErrorKind::AuthenticationFailed
                    || matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) =>
            {
                Err(StoreError::Authentication {
                    database: self.database.clone(),
                    reason: e.to_string(),
                })
            }
            Ok(Err(e)) => Err(StoreError::Query {
                database: self.database.clone(),
                reason: e.to_string(),
            }),
            Ok(Ok(value)) => Ok(value),
        }
    }

    /// `PING` on every server of `LOCATION`: whether the cache answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        for server in &self.servers {
            self.run::<String>(server.clone(), redis::cmd("PING"))
                .await?;
        }
        Ok(())
    }

    /// The raw value under the cache key for `key` (`KEY_PREFIX:VERSION:key`).
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.config.make_key(key));
        self.run(self.reader(), cmd).await
    }

    /// `cache.set(key, value, timeout)`; `add`: only if absent (`cache.add`), and whether it
    /// was stored. A timeout of 0 or less deletes, as Django's caches do.
    pub async fn set(
        &self,
        key: &str,
        value: &[u8],
        timeout_seconds: i64,
        add: bool,
    ) -> Result<bool, StoreError> {
        if timeout_seconds <= 0 {
            self.delete(key).await?;
            return Ok(!add);
        }
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.config.make_key(key)).arg(value);
        match self.config.client {
            CacheClient::Django => cmd.arg("EX").arg(timeout_seconds),
            CacheClient::DjangoRedis => cmd.arg("PX").arg(timeout_seconds.saturating_mul(1000)),
        };
        if add {
            cmd.arg("NX");
        }
        let reply: Option<String> = self.run(self.writer(), cmd).await?;
        Ok(reply.is_some())
    }

    /// `cache.delete(key)`.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.config.make_key(key));
        self.run::<i64>(self.writer(), cmd).await.map(drop)
    }

    /// `cache.has_key(key)`.
    pub async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.config.make_key(key));
        Ok(self.run::<i64>(self.reader(), cmd).await? > 0)
    }
}

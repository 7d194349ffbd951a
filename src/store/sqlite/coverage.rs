//! Ticket coverage: the subjects a platform support agent answers for.

use async_trait::async_trait;

use super::SqliteTx;
use crate::{
    domain::{AdminId, Timestamp},
    store::{CoverageTx, StoreResult},
};

#[async_trait]
impl CoverageTx for SqliteTx<'_> {
    async fn coverage(&mut self, admin: AdminId) -> StoreResult<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT subject FROM ticket_coverage WHERE platform_admin_id = ?1 ORDER BY subject")?;
        let rows = stmt.query_map([admin], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn replace_coverage(&mut self, admin: AdminId, subjects: &[String], at: Timestamp) -> StoreResult<()> {
        self.conn.prepare_cached("DELETE FROM ticket_coverage WHERE platform_admin_id = ?1")?.execute([admin])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO ticket_coverage(platform_admin_id, subject, created_at) VALUES (?1, ?2, ?3)",
        )?;
        for subject in subjects {
            insert.execute((admin, subject, at))?;
        }
        Ok(())
    }
}

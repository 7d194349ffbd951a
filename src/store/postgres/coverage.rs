//! Ticket coverage: the subjects a platform support agent answers for.

use async_trait::async_trait;

use super::PgTx;
use crate::{
    domain::{AdminId, Timestamp},
    store::{CoverageTx, StoreResult},
};

#[async_trait]
impl CoverageTx for PgTx<'_> {
    async fn coverage(&mut self, admin: AdminId) -> StoreResult<Vec<String>> {
        // `subject` is collated "C": sorted by its bytes, as Rust sorts.
        let rows = self
            .rows("SELECT subject FROM ticket_coverage WHERE platform_admin_id = $1 ORDER BY subject", &[&admin])
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    async fn replace_coverage(&mut self, admin: AdminId, subjects: &[String], at: Timestamp) -> StoreResult<()> {
        // The rule locked the admin's row first (`admin_for_change`), so two
        // replaces of one agent's set take turns.
        self.exec("DELETE FROM ticket_coverage WHERE platform_admin_id = $1", &[&admin]).await?;
        self.exec(
            "INSERT INTO ticket_coverage(platform_admin_id, subject, created_at) SELECT $1, s, $3 FROM unnest($2::text[]) s",
            &[&admin, &subjects, &at],
        )
        .await?;
        Ok(())
    }
}

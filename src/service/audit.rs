//! The audit viewer, for owners and admins.

use crate::{
    domain::{AuditFilter, Page, PageRequest},
    store::{AuditRecord, Store, StoreResult, Tx},
};

impl Store {
    /// Audit rows, newest first (ids grow with time), one page.
    pub async fn audit_log(&self, filter: AuditFilter, page: PageRequest) -> StoreResult<Page<AuditRecord>> {
        self.read((filter, page), |tx, (filter, page)| Box::pin(audit_log(tx, filter, page))).await
    }
}

async fn audit_log(tx: &mut dyn Tx, filter: &AuditFilter, page: &PageRequest) -> StoreResult<Page<AuditRecord>> {
    let rows = tx.audit_page(filter, page).await?;
    Ok(Page::from_rows(rows, page, |row| (row.at.micros(), row.id)))
}

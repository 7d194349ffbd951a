//! The suite on PostgreSQL: a database per test, created from a template
//! that is migrated once per run, and side queries for the assertions that
//! look at rows. Each side query runs on a thread of its own with a small
//! runtime, so the tests can call it as plainly as they call SQLite.

use std::sync::{
    OnceLock,
    atomic::{AtomicU32, Ordering},
};

use ticketing::store::postgres::database_url as with_database;
use tokio_postgres::{NoTls, Row, SimpleQueryMessage};

/// The server the suite runs on (a database there to connect to first),
/// from `TICKETING_TEST_DATABASE_URL`; `None` runs it on SQLite.
pub fn server_url() -> Option<String> {
    std::env::var("TICKETING_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// Runs `work` with a connection to `url`, on a thread of its own.
fn on_connection<T: Send + 'static>(
    url: &str,
    work: impl for<'c> FnOnce(&'c tokio_postgres::Client) -> std::pin::Pin<Box<dyn Future<Output = T> + Send + 'c>>
    + Send
    + 'static,
) -> T {
    let url = url.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, NoTls).await.expect("connect to PostgreSQL");
            let driver = tokio::spawn(connection);
            let out = work(&client).await;
            drop(client);
            let _ = driver.await;
            out
        })
    })
    .join()
    .expect("the query thread")
}

fn template_name() -> String {
    format!("tkt_test_template_{}", std::process::id())
}

/// The migrated template, made once per run (databases of earlier runs are
/// dropped first).
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let server = server_url().expect("a PostgreSQL URL");
        let name = template_name();
        let create = name.clone();
        on_connection(&server, move |c| {
            Box::pin(async move {
                // Databases an earlier run left behind: those of test
                // processes that are gone (a run beside this one keeps its own).
                let stale = c
                    .query("SELECT datname FROM pg_database WHERE datname LIKE 'tkt\\_test\\_%'", &[])
                    .await
                    .expect("list databases");
                for row in stale {
                    let db: String = row.get(0);
                    let pid = db.split('_').find_map(|part| part.parse::<u32>().ok());
                    let gone = pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
                    if gone {
                        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).await;
                    }
                }
                c.batch_execute(&format!("CREATE DATABASE \"{create}\"")).await.expect("create the template");
            })
        });
        let url = with_database(&server, &name);
        let cfg = ticketing::config::DatabaseConfig { url, ..Default::default() };
        ticketing::store::migrate(&cfg).expect("migrate the template");
        name
    })
}

/// A new database for one test, as migrated as the template; its URL.
pub fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = server_url().expect("a PostgreSQL URL");
    let template = template().to_string();
    let name = format!("tkt_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let create = name.clone();
    on_connection(&server, move |c| {
        Box::pin(async move {
            // Two copies of one template at the same moment can collide;
            // the second waits and tries again.
            let mut tries = 0;
            loop {
                match c.batch_execute(&format!("CREATE DATABASE \"{create}\" TEMPLATE \"{template}\"")).await {
                    Ok(()) => break,
                    Err(e) if tries < 50 => {
                        tries += 1;
                        let _ = e;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    Err(e) => panic!("cannot create a test database: {e}"),
                }
            }
        })
    });
    with_database(&server, &name)
}

fn first_row(url: &str, sql: &str) -> Row {
    let sql = sql.to_string();
    on_connection(url, move |c| {
        Box::pin(async move { c.query_one(&sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}")) })
    })
}

/// The first column of the one row `sql` answers, as an integer.
pub fn first_i64(url: &str, sql: &str) -> i64 {
    let row = first_row(url, sql);
    if let Ok(v) = row.try_get::<_, i64>(0) {
        return v;
    }
    if let Ok(v) = row.try_get::<_, i32>(0) {
        return v.into();
    }
    if let Ok(v) = row.try_get::<_, bool>(0) {
        return v.into();
    }
    panic!("{sql}: the first column is not an integer or a boolean");
}

/// The first column of the one row `sql` answers, as text (JSON as its text).
pub fn first_text(url: &str, sql: &str) -> String {
    let row = first_row(url, sql);
    if let Ok(v) = row.try_get::<_, String>(0) {
        return v;
    }
    if let Ok(v) = row.try_get::<_, serde_json::Value>(0) {
        return v.to_string();
    }
    panic!("{sql}: the first column is not text or JSON");
}

/// Runs statements (separated by `;`).
pub fn exec(url: &str, sql: &str) {
    let sql = sql.to_string();
    on_connection(url, move |c| {
        Box::pin(async move {
            let done: Vec<SimpleQueryMessage> = c.simple_query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            drop(done);
        })
    })
}

/// The plan PostgreSQL chooses for a built query, as text.
pub fn explain(url: &str, sql: ticketing::store::postgres::Sql) -> String {
    on_connection(url, move |c| {
        Box::pin(async move {
            let text = format!("EXPLAIN {}", sql.text());
            let rows = c.query(&text, &sql.params()).await.unwrap_or_else(|e| panic!("{text}: {e}"));
            rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
        })
    })
}

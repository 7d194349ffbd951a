//! A small SQL builder for the queries whose filters vary: text and
//! positional parameters grow together, so they can never drift apart.

use rusqlite::{Connection, Row, types::Value};

use super::DbResult;

pub struct Sql {
    text: String,
    params: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), params: Vec::new() }
    }

    /// The SQL text (for tests that check what a query reads).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Appends raw SQL and its parameters.
    pub fn push(&mut self, text: &str, params: impl IntoIterator<Item = Value>) -> &mut Self {
        self.text.push_str(text);
        self.params.extend(params);
        self
    }

    /// Appends ` AND (condition)`.
    pub fn and(&mut self, condition: &str, params: impl IntoIterator<Item = Value>) -> &mut Self {
        self.text.push_str(" AND (");
        self.text.push_str(condition);
        self.text.push(')');
        self.params.extend(params);
        self
    }

    pub fn query<T>(&self, conn: &Connection, map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>) -> DbResult<Vec<T>> {
        let mut stmt = conn.prepare_cached(&self.text)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(self.params.iter()), map)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The plan SQLite chooses, one line per step (for the index tests).
    pub fn explain(&self, conn: &Connection) -> DbResult<Vec<String>> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", self.text))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(self.params.iter()), |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

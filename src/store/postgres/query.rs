//! A small SQL builder for the queries whose filters vary: each `?` in a
//! piece of text becomes the next `$n`, and its value is kept beside it, so
//! text and parameters can never drift apart.

use tokio_postgres::types::ToSql;

/// A parameter value the builder owns until the query runs.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// A boxed parameter.
pub fn p<T: ToSql + Sync + Send + 'static>(value: T) -> Param {
    Box::new(value)
}

pub struct Sql {
    text: String,
    params: Vec<Param>,
    /// Placeholders numbered so far (the text of [`Sql::new`] may hold some
    /// whose values come after, by [`Sql::params_extend`]).
    placeholders: usize,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        let mut sql = Self { text: String::new(), params: Vec::new(), placeholders: 0 };
        sql.push(text, []);
        sql
    }

    /// The SQL text (for tests and `EXPLAIN`).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Appends SQL, numbering its `?` placeholders, and their parameters.
    pub fn push(&mut self, text: &str, params: impl IntoIterator<Item = Param>) -> &mut Self {
        for piece in text.split_inclusive('?') {
            match piece.strip_suffix('?') {
                Some(head) => {
                    self.placeholders += 1;
                    self.text.push_str(head);
                    self.text.push_str(&format!("${}", self.placeholders));
                }
                None => self.text.push_str(piece),
            }
        }
        self.params.extend(params);
        self
    }

    /// Adds the parameters of placeholders already in the text (those of
    /// the text given to [`Sql::new`]).
    pub fn params_extend(&mut self, params: impl IntoIterator<Item = Param>) -> &mut Self {
        self.params.extend(params);
        self
    }

    /// Appends ` AND (condition)`.
    pub fn and(&mut self, condition: &str, params: impl IntoIterator<Item = Param>) -> &mut Self {
        self.push(" AND (", []);
        self.push(condition, params);
        self.push(")", [])
    }

    /// The parameters, as the driver takes them.
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order_across_pieces() {
        let mut sql = Sql::new("SELECT 1 FROM t WHERE a = ?");
        sql.and("b = ? OR c = ?", [p(1i64), p(2i64)]);
        sql.push(" LIMIT 3", []);
        assert_eq!(sql.text(), "SELECT 1 FROM t WHERE a = $1 AND (b = $2 OR c = $3) LIMIT 3");
    }
}

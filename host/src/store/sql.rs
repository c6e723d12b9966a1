//! What the store asks of a database, the same for both: run a statement, read rows, inside
//! a transaction that one key can serialize. The store's SQL is written once, in PostgreSQL's
//! spelling (`$1` parameters); the SQLite side renumbers them (`?1`), which means the same.

use anyhow::{Result, anyhow};

/// One statement parameter.
#[derive(Clone, Debug)]
pub enum Param<'a> {
    Int(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
    /// A text column left empty.
    NullText,
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Param::Bytes(value)
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(value: &'a Option<String>) -> Self {
        value.as_deref().map_or(Param::NullText, Param::Text)
    }
}

/// The parameters of one statement: `args![a, b]`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Param::from($value)),*]
    };
}
pub(crate) use args;

/// One value read back.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Null,
}

/// One row read back, its columns in the statement's order.
#[derive(Debug)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, index: usize) -> Result<&Cell> {
        self.0
            .get(index)
            .ok_or_else(|| anyhow!("the store's row has no column {index}"))
    }

    pub fn int(&self, index: usize) -> Result<i64> {
        match self.cell(index)? {
            Cell::Int(value) => Ok(*value),
            other => Err(anyhow!(
                "column {index}: a number was expected, not {other:?}"
            )),
        }
    }

    pub fn text(&self, index: usize) -> Result<String> {
        self.optional_text(index)?
            .ok_or_else(|| anyhow!("column {index}: text was expected, not NULL"))
    }

    pub fn optional_text(&self, index: usize) -> Result<Option<String>> {
        match self.cell(index)? {
            Cell::Text(value) => Ok(Some(value.clone())),
            Cell::Null => Ok(None),
            other => Err(anyhow!("column {index}: text was expected, not {other:?}")),
        }
    }

    pub fn bytes(&self, index: usize) -> Result<Vec<u8>> {
        match self.cell(index)? {
            Cell::Bytes(value) => Ok(value.clone()),
            other => Err(anyhow!(
                "column {index}: bytes were expected, not {other:?}"
            )),
        }
    }
}

/// A transaction (or, for reads, the connection itself) of either database.
pub trait Sql {
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64>;

    /// Runs a query; every row.
    fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>>;

    /// Makes every other transaction that names `key` wait until this one ends, in any
    /// process on the store. SQLite's write transactions already exclude each other; a
    /// server database needs it where a decision reads, then writes (the last quota slot).
    fn serialize_on(&mut self, key: &str) -> Result<()>;

    /// Runs several statements with no parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// The first row, if any.
    fn row(&mut self, sql: &str, params: &[Param]) -> Result<Option<Row>> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

//! How rows are written: every table the app fills has one row record
//! (`TableRow`: its table, its columns and its values, in one order, made by
//! `table_row!` from the same field names), written one at a time
//! (`insert_one`) or in multi-row INSERTs (`insert_many`). A bulk invite
//! writes tens of thousands of rows, and one statement per row through the
//! Any driver would miss the 2 s target.

use sqlx::{Any, AnyConnection, Executor};

pub enum Value {
    Text(String),
    Int(i64),
    /// NULL in a text column. NULLs are typed: Postgres refuses an integer
    /// NULL for a text column and the other way round.
    NullText,
    /// NULL in an integer column.
    NullInt,
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::NullText, Value::Text)
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullInt, Value::Int)
    }
}

/// Values per statement: well under SQLite's limit (32,766) and Postgres's
/// (65,535). Fewer, larger statements pay less per-statement work; on
/// Postgres that includes migration 0007's statement trigger on
/// invitations, which costs about as much as reading users once. Filling
/// 100,000 demo users on Postgres: 25 s at 900 values, 17.5 s at 8,000
/// (SQLite: 12.6 s and 11.6 s).
const MAX_VALUES: usize = 8_000;

/// A row of one table: its name, its columns and its values, in one order.
pub trait TableRow {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn values(self) -> Vec<Value>;
}

/// `pub struct $row { $column: $type, … }` written to `$table`, the fields
/// being the columns: the column list is written once, as field names.
macro_rules! table_row {
    ($(#[$doc:meta])* $row:ident in $table:literal { $($(#[$field_doc:meta])* $column:ident: $type:ty,)* }) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $row {
            $($(#[$field_doc])* pub $column: $type,)*
        }

        impl $crate::server::repos::batch::TableRow for $row {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),*];
            fn values(self) -> Vec<$crate::server::repos::batch::Value> {
                vec![$(self.$column.into()),*]
            }
        }
    };
}
pub(crate) use table_row;

/// One row, one statement.
pub async fn insert_one<'c, R: TableRow>(
    db: impl Executor<'c, Database = Any>,
    row: R,
) -> Result<(), sqlx::Error> {
    let values = row.values();
    let sql = insert_sql(R::TABLE, R::COLUMNS, 1, false);
    bind_all(sqlx::query(&sql), values).execute(db).await?;
    Ok(())
}

/// Multi-row INSERTs of `rows` (up to `MAX_VALUES` values per statement).
/// A column that is NULL in every row is left out: it stays NULL (no
/// nullable column has another default) and costs no placeholders, which
/// keeps a bulk invite's statements as small as its own columns.
pub async fn insert_many<R: TableRow>(
    conn: &mut AnyConnection,
    rows: Vec<R>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<Vec<Value>> = rows.into_iter().map(TableRow::values).collect();
    let used: Vec<bool> = (0..R::COLUMNS.len())
        .map(|j| {
            rows.iter()
                .any(|row| !matches!(row[j], Value::NullText | Value::NullInt))
        })
        .collect();
    if used.iter().all(|&u| u) {
        return insert_rows(conn, R::TABLE, R::COLUMNS, rows).await;
    }
    let columns: Vec<&str> = R::COLUMNS
        .iter()
        .zip(&used)
        .filter_map(|(c, &u)| u.then_some(*c))
        .collect();
    for row in &mut rows {
        let mut j = 0;
        row.retain(|_| {
            j += 1;
            used[j - 1]
        });
    }
    insert_rows(conn, R::TABLE, &columns, rows).await
}

fn insert_sql(table: &str, columns: &[&str], rows: usize, in_order: bool) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for i in 0..rows {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for j in 0..columns.len() {
            n += 1;
            if j > 0 {
                sql.push_str(", ");
            }
            if in_order {
                sql.push('?');
            } else {
                sql.push_str(&format!("${n}"));
            }
        }
        sql.push(')');
    }
    sql
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    values: Vec<Value>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for value in values {
        query = match value {
            Value::Text(text) => query.bind(text),
            Value::Int(int) => query.bind(int),
            Value::NullText => query.bind(None::<String>),
            Value::NullInt => query.bind(None::<i64>),
        };
    }
    query
}

/// Inserts `rows` into `table` in statements of at most `MAX_VALUES` values.
pub async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), sqlx::Error> {
    let per_statement = (MAX_VALUES / columns.len()).max(1);
    // SQLite gets plain `?`, bound in order. For a `$n` sqlx asks SQLite the
    // parameter's name, which SQLite finds by scanning all the names: n
    // `$n` cost n × n steps (at 900 a fifth of a demo fill's CPU, perf).
    let in_order = conn.backend_name() == "SQLite";
    let (started, count) = (std::time::Instant::now(), rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        debug_assert!(chunk.iter().all(|row| row.len() == columns.len()));
        let sql = insert_sql(table, columns, chunk.len(), in_order);
        let query = bind_all(sqlx::query(&sql), chunk.into_iter().flatten().collect());
        query.execute(&mut *conn).await?;
    }
    tracing::debug!(table, rows = count, elapsed = ?started.elapsed(), "inserted");
    Ok(())
}

/// Postgres plans by table statistics, which a table filled in one go has
/// only once autovacuum comes by (up to a minute later); meanwhile it
/// planned a bulk invite's address lookups and the Users page's email
/// states as if the tables were still small (seq scans, 0.5 s a lookup at
/// 100,000 users). SQLite plans without them (its `ANALYZE` would change
/// every plan for good); there this does nothing.
pub async fn analyze_on_postgres(
    conn: &mut AnyConnection,
    tables: &[&str],
) -> Result<(), sqlx::Error> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
        .execute(conn)
        .await?;
    Ok(())
}

//! The few SQL fragments that differ between backends.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{DbBackend, Value};

/// `new_prefix || SUBSTR(col, old_len + 1)`: rewrites the leading part of a path column
/// when a subtree moves.
pub(crate) fn replace_prefix(backend: DbBackend, col: &str, new_prefix: &str, old_len: usize) -> SimpleExpr {
    let values: [Value; 2] = [new_prefix.into(), (old_len as i32 + 1).into()];
    // Placeholders are `$n` on PostgreSQL and `?` elsewhere.
    match backend {
        DbBackend::MySql => Expr::cust_with_values(format!("CONCAT(?, SUBSTR({col}, ?))"), values),
        DbBackend::Postgres => Expr::cust_with_values(format!("$1 || SUBSTR({col}, $2)"), values),
        _ => Expr::cust_with_values(format!("? || SUBSTR({col}, ?)"), values),
    }
}

/// `SUM(col)` as a 64-bit integer (PostgreSQL and MySQL widen sums to numeric).
pub(crate) fn sum_i64(backend: DbBackend, col: &str) -> SimpleExpr {
    match backend {
        DbBackend::MySql => Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS SIGNED)")),
        _ => Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)")),
    }
}

/// The largest number of bound parameters one statement may carry, with headroom.
pub(crate) fn max_params(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_000,
        DbBackend::Postgres => 65_000,
        _ => 60_000,
    }
}

/// The path of the child of a root (whose path is `root_len` bytes long) that holds the row
/// at `col` — `/1/23/` for `/1/23/456/` under `/1/` — or the root's own path for its own
/// rows: one grouping key per row of an oversight view, computed by the database.
pub(crate) fn child_key(backend: DbBackend, col: &str, root_len: usize) -> String {
    let find = match backend {
        DbBackend::Postgres => format!("strpos(substr({col}, {}), '/')", root_len + 1),
        _ => format!("instr(substr({col}, {}), '/')", root_len + 1),
    };
    format!("substr({col}, 1, {root_len} + {find})")
}

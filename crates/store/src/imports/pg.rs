//! PostgreSQL's bulk path for the people import.
//!
//! A batch travels as one text parameter: an array literal of `persons` rows
//! (`{"(,张三,male,1980-01-02,…)",…}`), cast server-side to `persons[]` and unnested into
//! `INSERT … SELECT`. `array_in` and `record_in` read that text with the same kind of parser
//! as `COPY`'s, and cost about two thirds of what unpacking the same rows from JSON did.
//! (`COPY FROM STDIN` itself needs the transaction's own connection, which SeaORM does not
//! lend out; a COPY on a second connection would have to commit its rows somewhere the
//! import's transaction can read, breaking all-or-nothing.)
//!
//! An import that inserts at least as many people as the table held (an initial load) sets
//! aside, inside its transaction ([`set_aside`]), the table's non-unique indexes and its
//! foreign keys, and puts them back before commit ([`SetAside::restore`]): one sorted build
//! per index instead of a million random insertions into each, and one anti-join per
//! foreign key instead of a trigger per row (about 40% of the insert's time). The rows'
//! organisations cannot go away meanwhile: the import resolved them in its transaction and
//! holds `organizations` locked.
//!
//! **Locks.** This takes ACCESS EXCLUSIVE locks on `persons` and on `organizations` (dropping
//! a foreign key drops its triggers on the referenced table) until the transaction ends:
//! while an initial load runs, every request that reads either table waits — in practice the
//! whole application pauses, about 15–20 s for a million people on two cores. A rollback
//! puts everything back as it was. Two initial loads at once can deadlock on these locks
//! (each has read both tables); PostgreSQL then fails one of them, which can be run again.
//!
//! When the table is empty once locked, no stored row can conflict with the file (whose
//! duplicate numbers the import refuses itself), so its rows go in with a plain `INSERT`,
//! without `ON CONFLICT`'s speculative insertion.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use xuepei_domain::labels::Labeled;

use crate::error::{Result, StoreError};
use crate::people::{PersonInput, Placement};

/// The columns the import writes, numbered as [`field`] writes them; `created_at` and
/// `updated_at` are the import's stamp, bound beside the rows.
const FIELDS: [&str; 19] = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "party_joined_on",
    "position",
    "rank_level",
    "roles",
    "org_id",
    "org_path",
    "org_sector",
    "managing_org_id",
    "ethnicity",
    "native_place",
    "education",
    "degree",
    "work_started_on",
    "position_since",
];

/// How a batch is written on PostgreSQL: the positions of the written columns among the
/// attributes of `persons`' row type, read from the catalogue when the import begins (the
/// literal must give every attribute, in the table's order).
#[derive(Debug, Clone)]
pub(crate) struct RowType {
    /// For each attribute of `persons`, in order: the index into [`FIELDS`], or `None`
    /// for one the import leaves to its default (`id`, the instants, later columns).
    slots: Vec<Option<usize>>,
}

impl RowType {
    pub(crate) async fn load(conn: &DatabaseTransaction) -> Result<RowType> {
        let stmt = Statement::from_string(
            DbBackend::Postgres,
            "SELECT attname::text AS name FROM pg_attribute WHERE attrelid = 'persons'::regclass \
             AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        );
        let mut slots = Vec::new();
        for r in conn.query_all_raw(stmt).await? {
            let name: String = r.try_get("", "name")?;
            slots.push(FIELDS.iter().position(|f| *f == name));
        }
        for (i, f) in FIELDS.iter().enumerate() {
            if !slots.contains(&Some(i)) {
                return Err(StoreError::Conflict(format!("persons 表缺少列 {f}，无法导入")));
            }
        }
        Ok(RowType { slots })
    }

    /// The batch as an array literal of `persons` rows.
    pub(crate) fn literal(&self, rows: &[(&PersonInput, &Placement)]) -> String {
        let mut out = String::with_capacity(rows.len() * 200 + 2);
        out.push('{');
        for (i, (p, at)) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("\"(");
            for (k, slot) in self.slots.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                if let Some(f) = slot {
                    field(&mut out, *f, p, at);
                }
            }
            out.push_str(")\"");
        }
        out.push('}');
        out
    }
}

/// Writes field `f` of a row (nothing for NULL).
fn field(out: &mut String, f: usize, p: &PersonInput, at: &Placement) {
    use std::fmt::Write;
    let date = |out: &mut String, d: Option<NaiveDate>| {
        if let Some(d) = d {
            // ISO `YYYY-MM-DD`, read alike under every DateStyle.
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
    };
    let pr = &p.profile;
    match f {
        0 => text(out, Some(&p.name)),
        1 => text(out, Some(p.gender.code())),
        2 => date(out, Some(p.birth_date)),
        3 => text(out, Some(&p.id_number)),
        4 => text(out, p.phone.as_deref()),
        5 => date(out, p.party_joined_on),
        6 => text(out, p.position.as_deref()),
        7 => text(out, p.rank_level.map(|r| r.code())),
        8 => {
            let _ = write!(out, "{}", p.roles.0);
        }
        9 => {
            let _ = write!(out, "{}", p.org_id);
        }
        10 => text(out, Some(&at.path)),
        11 => text(out, Some(at.sector.code())),
        12 => {
            if let Some(id) = p.managing_org_id {
                let _ = write!(out, "{id}");
            }
        }
        13 => text(out, pr.ethnicity.as_deref()),
        14 => text(out, pr.native_place.as_deref()),
        15 => text(out, pr.education.as_deref()),
        16 => text(out, pr.degree.as_deref()),
        17 => date(out, pr.work_started_on),
        18 => date(out, pr.position_since),
        _ => {}
    }
}

/// A text field of a row inside a quoted array element. Nothing stands for NULL; a value
/// that is empty or holds a character special to a row literal (`,()"\` or white space) is
/// quoted as the row literal wants (`"…"`, with `\` before `"` and `\`), and that quoting
/// is escaped once more for the array element around it.
fn text(out: &mut String, s: Option<&str>) {
    let Some(s) = s else { return };
    let special = |b: u8| matches!(b, b',' | b'(' | b')' | b'"' | b'\\') || b.is_ascii_whitespace();
    if !s.is_empty() && !s.bytes().any(special) {
        out.push_str(s);
        return;
    }
    out.push_str("\\\"");
    for c in s.chars() {
        match c {
            // Row level `\"` / `\\`, each character escaped again for the array.
            '"' => out.push_str("\\\\\\\""),
            '\\' => out.push_str("\\\\\\\\"),
            c => out.push(c),
        }
    }
    out.push_str("\\\"");
}

/// The statement that inserts a batch given as [`RowType::literal`] (`$1`) with the stamp
/// (`$2`). `plain`: no stored row can conflict (see the module's note); otherwise numbers
/// already registered are skipped, as on the other backends.
pub(crate) fn insert(literal: String, stamp: DateTime<Utc>, plain: bool) -> Statement {
    let columns = FIELDS.join(", ");
    let values: Vec<String> = FIELDS.iter().map(|f| format!("r.{f}")).collect();
    let conflict = if plain { "" } else { " ON CONFLICT (id_number) DO NOTHING" };
    let sql = format!(
        "INSERT INTO persons ({columns}, created_at, updated_at) SELECT {}, $2, $2 \
         FROM unnest(CAST($1 AS text)::persons[]) AS r{conflict}",
        values.join(", ")
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, [literal.into(), stamp.into()])
}

/// What [`set_aside`] took away, to be put back before commit.
#[derive(Debug, Default)]
pub(crate) struct SetAside {
    /// `CREATE INDEX` statements of the dropped indexes.
    indexes: Vec<String>,
    /// The dropped foreign keys of `persons`: `ADD CONSTRAINT name definition` each.
    foreign_keys: Vec<String>,
    /// The table was empty once locked: batches may be inserted without `ON CONFLICT`.
    pub(crate) empty: bool,
}

/// Drops the non-unique indexes and the foreign keys of `persons` in the import's
/// transaction (taking ACCESS EXCLUSIVE locks on `persons` and `organizations` until it
/// ends) and tells whether the table is empty.
pub(crate) async fn set_aside(conn: &DatabaseTransaction) -> Result<SetAside> {
    // Both locks at once, before anything is dropped: a request that reads both tables
    // waits for the whole import rather than holding one of them while it waits.
    conn.execute_unprepared("LOCK TABLE persons, organizations IN ACCESS EXCLUSIVE MODE").await?;
    let stmt = Statement::from_string(
        DbBackend::Postgres,
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, \
         pg_get_indexdef(i.indexrelid) AS sql FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE i.indrelid = 'persons'::regclass AND NOT i.indisunique AND NOT i.indisprimary \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
    );
    let mut out = SetAside::default();
    for r in conn.query_all_raw(stmt).await? {
        let (name, sql): (String, String) = (r.try_get("", "name")?, r.try_get("", "sql")?);
        conn.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        out.indexes.push(sql);
    }
    let stmt = Statement::from_string(
        DbBackend::Postgres,
        "SELECT quote_ident(conname) AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint \
         WHERE conrelid = 'persons'::regclass AND contype = 'f' ORDER BY conname",
    );
    let mut drops = Vec::new();
    for r in conn.query_all_raw(stmt).await? {
        let (name, def): (String, String) = (r.try_get("", "name")?, r.try_get("", "def")?);
        drops.push(format!("DROP CONSTRAINT {name}"));
        out.foreign_keys.push(format!("ADD CONSTRAINT {name} {def}"));
    }
    if !drops.is_empty() {
        conn.execute_unprepared(&format!("ALTER TABLE persons {}", drops.join(", "))).await?;
    }
    let stmt = Statement::from_string(DbBackend::Postgres, "SELECT EXISTS (SELECT 1 FROM persons) AS any");
    let any: bool = match conn.query_one_raw(stmt).await? {
        Some(r) => r.try_get("", "any")?,
        None => true,
    };
    out.empty = !any;
    Ok(out)
}

impl SetAside {
    /// Rebuilds the dropped indexes and adds the foreign keys back, each checked over the
    /// whole table in one query (before commit).
    pub(crate) async fn restore(self, conn: &DatabaseTransaction) -> Result<()> {
        if !self.indexes.is_empty() {
            // Each build sorts its keys; more memory than the default 64 MB spares a merge
            // of temporary files at a million rows. Ends with the transaction.
            conn.execute_unprepared("SET LOCAL maintenance_work_mem = '256MB'").await?;
        }
        for sql in self.indexes {
            conn.execute_unprepared(&sql).await?;
        }
        if !self.foreign_keys.is_empty() {
            conn.execute_unprepared(&format!("ALTER TABLE persons {}", self.foreign_keys.join(", "))).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        text(&mut out, Some(s));
        out
    }

    #[test]
    fn plain_text_goes_as_it_is_and_special_text_is_quoted_twice() {
        assert_eq!(quoted("张三"), "张三");
        assert_eq!(quoted("/1/2/"), "/1/2/");
        assert_eq!(quoted(""), "\\\"\\\"");
        assert_eq!(quoted("a b"), "\\\"a b\\\"");
        assert_eq!(quoted("村(两委)"), "\\\"村(两委)\\\"");
        // `"` → row `\"` → array `\\\"`; `\` → row `\\` → array `\\\\`.
        assert_eq!(quoted("\"\\"), "\\\"\\\\\\\"\\\\\\\\\\\"");
        let mut none = String::new();
        text(&mut none, None);
        assert_eq!(none, "");
    }
}

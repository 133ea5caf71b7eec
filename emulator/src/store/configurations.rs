//! Automatic device configurations in SQLite: one row per configuration, its JSON document,
//! written in the same transaction as the twins a write touched.

use rusqlite::{Connection, Transaction, params};

use crate::registry::{Configuration, Registry};

/// The table, created when missing.
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS configurations (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);";

/// A configuration row to write.
#[derive(Debug)]
pub(super) enum ConfigurationRow {
    Put { id: String, doc: String },
    Delete { id: String },
}

/// The row for configuration `id` as the registry holds it now (deleted when absent).
pub(super) fn row(registry: &Registry, id: String) -> ConfigurationRow {
    match registry.configurations.get(&id) {
        Some(configuration) => ConfigurationRow::Put {
            doc: serde_json::to_string(configuration).expect("configurations serialize"),
            id,
        },
        None => ConfigurationRow::Delete { id },
    }
}

/// Writes `rows` in `tx`.
pub(super) fn write<'a>(
    tx: &Transaction<'_>,
    rows: impl Iterator<Item = &'a ConfigurationRow>,
) -> rusqlite::Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO configurations (id, doc) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM configurations WHERE id = ?1")?;
    for row in rows {
        match row {
            ConfigurationRow::Put { id, doc } => put.execute(params![id, doc])?,
            ConfigurationRow::Delete { id } => delete.execute(params![id])?,
        };
    }
    Ok(())
}

/// Loads every stored configuration into `registry`.
pub(super) fn load(connection: &Connection, registry: &mut Registry) -> anyhow::Result<()> {
    let mut rows = connection.prepare("SELECT doc FROM configurations")?;
    let mut rows = rows.query([])?;
    while let Some(row) = rows.next()? {
        let doc: String = row.get(0)?;
        let configuration: Configuration = serde_json::from_str(&doc)?;
        registry
            .configurations
            .insert(configuration.id.clone(), configuration);
    }
    Ok(())
}

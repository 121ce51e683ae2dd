//! `weir demo`: the first thing a new user runs. It will run `queries/demo.sql` on an
//! in-process Kafka cluster with generated pageviews and users; until the Kafka runtime lands
//! it runs what exists: the front end over the demo file, printing each persistent query it
//! would start.

use super::CommandError;
use crate::sql::{self, StatementKind};

/// The demo's queries, built into the binary so `weir demo` works from any folder.
const DEMO_QUERIES: &str = include_str!("../../../queries/demo.sql");

pub fn demo() -> Result<(), CommandError> {
    let path = std::path::PathBuf::from("queries/demo.sql");
    let statements = sql::parse_file(DEMO_QUERIES).map_err(|diagnostics| CommandError::Sql {
        path: path.clone(),
        rendered: sql::render_all(&diagnostics, DEMO_QUERIES, "queries/demo.sql"),
        count: diagnostics.len(),
    })?;
    println!(
        "weir demo: {} statements in queries/demo.sql",
        statements.len()
    );
    for statement in &statements {
        let (what, name) = match &statement.kind {
            StatementKind::CreateSource(source) => ("source", &source.name.value),
            StatementKind::CreateAsSelect(query) => ("persistent query ->", &query.name.value),
            StatementKind::InsertInto(insert) => ("persistent query ->", &insert.target.value),
            _ => continue,
        };
        println!("  {what} {name}");
    }
    println!(
        "The in-process Kafka cluster and the stream runtime are not built yet: this demo \
         stops after parsing. `weir check --queries queries/demo.sql` validates the file."
    );
    Ok(())
}

//! The ksqlDB dialect front end: turns the text of a queries file into statements with
//! source spans. ksqlDB-only statement heads (`CREATE STREAM … WITH (…)`, `EMIT`, `WINDOW`,
//! `WITHIN`, `PARTITION BY`) are parsed by a thin wrapper; expressions and queries are delegated
//! to sqlparser. It does not resolve names or types (that is `analyze`).

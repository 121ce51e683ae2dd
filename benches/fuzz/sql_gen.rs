//! Random queries files in ksqlDB's dialect, built from its syntax: `SET`/`UNSET`, `CREATE
//! TYPE`, `CREATE STREAM|TABLE` with key, header and value columns of every type and `WITH`
//! properties, and persistent queries (`CREATE … AS SELECT`, `INSERT INTO … SELECT`) over the
//! sources declared before them, with joins (`WITHIN`, `GRACE PERIOD`), windows, `WHERE`,
//! `GROUP BY`, `HAVING`, `PARTITION BY`, `EMIT`, and expressions from ksqlDB's grammar
//! (function calls from weir's own function catalog with lambdas where a signature takes one,
//! `CASE`, `CAST`, `BETWEEN`, `LIKE`, `IN`, `->`, subscripts, constructors; in `sql_expr`).
//! Most names refer to what the file declares, so many files analyze and plan; the rest probe
//! the errors.

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use weir::functions::FunctionKind;

/// A declared source as later statements see it.
pub(super) struct Source {
    pub(super) name: String,
    pub(super) table: bool,
    pub(super) columns: Vec<(String, &'static str)>,
}

/// The state of one file being written.
pub struct SqlGen<'r> {
    pub(super) rng: &'r mut SmallRng,
    pub(super) sources: Vec<Source>,
    pub(super) types: Vec<String>,
    out: String,
}

const SCALAR_TYPES: &[&str] = &[
    "BOOLEAN",
    "INT",
    "INTEGER",
    "BIGINT",
    "DOUBLE",
    "DECIMAL(10, 2)",
    "DECIMAL(38, 38)",
    "STRING",
    "VARCHAR",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
];
const COMPLEX_TYPES: &[&str] = &[
    "ARRAY<INT>",
    "ARRAY<STRING>",
    "MAP<STRING, INT>",
    "MAP<STRING, ARRAY<DOUBLE>>",
    "STRUCT<F1 INT, F2 STRING>",
    "STRUCT<`a b` BIGINT, N STRUCT<X DOUBLE>>",
    "ARRAY<STRUCT<Q INT>>",
];
const COLUMN_NAMES: &[&str] = &[
    "ID", "A", "B", "C", "V", "K", "NAME", "TS", "`lower`", "`We ird`",
];
const FORMATS: &[&str] = &[
    "JSON",
    "JSON",
    "DELIMITED",
    "KAFKA",
    "AVRO",
    "PROTOBUF",
    "JSON_SR",
    "NONE",
];
const DURATIONS: &[&str] = &[
    "1 SECOND",
    "10 SECONDS",
    "1 MINUTE",
    "5 MINUTES",
    "1 HOUR",
    "2 HOURS",
    "1 DAY",
    "7 DAYS",
    "100 MILLISECONDS",
    "0 SECONDS",
    "9223372036854775807 DAYS",
];

impl<'r> SqlGen<'r> {
    pub fn new(rng: &'r mut SmallRng) -> SqlGen<'r> {
        SqlGen {
            rng,
            sources: Vec::new(),
            types: Vec::new(),
            out: String::new(),
        }
    }

    /// A whole file: declarations first, then queries and more declarations mixed.
    pub fn file(mut self) -> String {
        let statements = self.rng.random_range(1..8);
        for i in 0..statements {
            let choice = if i == 0 || self.sources.is_empty() {
                self.rng.random_range(0..4)
            } else {
                self.rng.random_range(0..10)
            };
            match choice {
                0 => self.set_property(),
                1 => self.create_type(),
                2..=4 => self.create_source(),
                5..=7 => self.create_as_select(),
                _ => self.insert_into(),
            }
            self.out.push_str(if self.rng.random_ratio(1, 30) {
                "\n"
            } else {
                ";\n"
            });
        }
        self.out
    }

    pub(super) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.choose(self.rng).copied().unwrap_or_default()
    }

    fn set_property(&mut self) {
        let name = self.pick(&[
            "auto.offset.reset",
            "ksql.persistence.default.format.key",
            "ksql.persistence.default.format.value",
            "ksql.output.topic.name.prefix",
            "ksql.new.query.planner.enabled",
            "ksql.unknown",
        ]);
        let value = self.pick(&["earliest", "JSON", "KAFKA", "DELIMITED", "true", "x_", ""]);
        if self.rng.random_ratio(1, 4) {
            self.out.push_str(&format!("UNSET '{name}'"));
        } else {
            self.out.push_str(&format!("SET '{name}' = '{value}'"));
        }
    }

    fn create_type(&mut self) {
        let name = format!("T{}", self.types.len());
        let ty = self.data_type(0);
        self.out.push_str(&format!("CREATE TYPE {name} AS {ty}"));
        self.types.push(name);
    }

    pub(super) fn data_type(&mut self, depth: usize) -> String {
        match self.rng.random_range(0..10) {
            0 if !self.types.is_empty() => self.types.choose(self.rng).cloned().unwrap_or_default(),
            1 if depth < 3 => format!("ARRAY<{}>", self.data_type(depth + 1)),
            2 if depth < 3 => format!("MAP<STRING, {}>", self.data_type(depth + 1)),
            3 if depth < 3 => {
                let n = self.rng.random_range(1..4);
                let fields: Vec<String> = (0..n)
                    .map(|i| format!("F{i} {}", self.data_type(depth + 1)))
                    .collect();
                format!("STRUCT<{}>", fields.join(", "))
            }
            4 => self.pick(COMPLEX_TYPES).to_string(),
            _ => self.pick(SCALAR_TYPES).to_string(),
        }
    }

    fn create_source(&mut self) {
        let table = self.rng.random_bool(0.4);
        let name = format!("S{}", self.sources.len());
        let head = match self.rng.random_range(0..6) {
            0 => "CREATE OR REPLACE",
            1 => "CREATE SOURCE",
            _ => "CREATE",
        };
        let kind = if table { "TABLE" } else { "STREAM" };
        let exists = if self.rng.random_ratio(1, 6) {
            " IF NOT EXISTS"
        } else {
            ""
        };
        let mut columns = Vec::new();
        let mut defs = Vec::new();
        let n = self.rng.random_range(0..6);
        for i in 0..n {
            let column = if i == 0 {
                "ID"
            } else {
                self.pick(COLUMN_NAMES)
            };
            let ty = if self.rng.random_bool(0.7) {
                self.pick(SCALAR_TYPES)
            } else {
                self.pick(COMPLEX_TYPES)
            };
            let role = match (i, table, self.rng.random_range(0..12)) {
                (0, true, 0..=9) => " PRIMARY KEY",
                (0, false, 0..=8) => " KEY",
                (_, _, 10) => " HEADERS",
                (_, _, 11) => " HEADER('h')",
                _ => "",
            };
            let ty = if role == " HEADERS" {
                "ARRAY<STRUCT<KEY STRING, VALUE BYTES>>"
            } else {
                ty
            };
            defs.push(format!("{column} {ty}{role}"));
            columns.push((column.to_string(), ty));
        }
        let columns_text = if n == 0 && self.rng.random_bool(0.5) {
            String::new()
        } else {
            format!(" ({})", defs.join(", "))
        };
        let with = self.with_clause(true);
        self.out.push_str(&format!(
            "{head} {kind}{exists} {name}{columns_text} {with}"
        ));
        self.sources.push(Source {
            name,
            table,
            columns,
        });
    }

    fn with_clause(&mut self, source: bool) -> String {
        let mut props = Vec::new();
        if source || self.rng.random_bool(0.3) {
            props.push(format!(
                "KAFKA_TOPIC='{}'",
                self.pick(&["t", "u", "s0", ""])
            ));
        }
        let format = self.pick(FORMATS);
        match self.rng.random_range(0..4) {
            0 => props.push(format!("FORMAT='{format}'")),
            1 | 2 => {
                props.push(format!("VALUE_FORMAT='{format}'"));
                if self.rng.random_bool(0.5) {
                    props.push(format!("KEY_FORMAT='{}'", self.pick(FORMATS)));
                }
            }
            _ => {}
        }
        for _ in 0..self.rng.random_range(0..3) {
            let prop = self.pick(&[
                "PARTITIONS=2",
                "PARTITIONS=0",
                "REPLICAS=1",
                "TIMESTAMP='TS'",
                "TIMESTAMP_FORMAT='yyyy-MM-dd''T''HH:mm:ssX'",
                "WRAP_SINGLE_VALUE=false",
                "VALUE_DELIMITER='|'",
                "VALUE_DELIMITER='TAB'",
                "KEY_DELIMITER='SPACE'",
                "WINDOW_TYPE='TUMBLING'",
                "WINDOW_SIZE='10 SECONDS'",
                "WINDOW_TYPE='SESSION'",
                "VALUE_SCHEMA_ID=1",
                "VALUE_SCHEMA_FULL_NAME='M'",
                "RETENTION_MS=100",
                "CLEANUP_POLICY='compact'",
                "QUERY_ID='q1'",
                "UNKNOWN_PROP=1",
                "PARTITIONS='x'",
            ]);
            props.push(prop.to_string());
        }
        if props.is_empty() {
            String::new()
        } else {
            format!("WITH ({})", props.join(", "))
        }
    }

    fn create_as_select(&mut self) {
        let table = self.rng.random_bool(0.4);
        let name = format!("S{}", self.sources.len());
        let kind = if table { "TABLE" } else { "STREAM" };
        let or_replace = if self.rng.random_ratio(1, 8) {
            "OR REPLACE "
        } else {
            ""
        };
        let with = self.with_clause(false);
        let select = self.select(table);
        self.out.push_str(&format!(
            "CREATE {or_replace}{kind} {name} {with} AS {select}"
        ));
        self.sources.push(Source {
            name,
            table,
            columns: vec![("ID".into(), "BIGINT"), ("V".into(), "STRING")],
        });
    }

    fn insert_into(&mut self) {
        let target = self
            .sources
            .choose(self.rng)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let select = self.select(false);
        self.out.push_str(&format!("INSERT INTO {target} {select}"));
    }

    fn select(&mut self, aggregate: bool) -> String {
        let from = self.rng.random_range(0..self.sources.len().max(1));
        let (source, is_table) = match self.sources.get(from) {
            Some(s) => (s.name.clone(), s.table),
            None => ("MISSING".to_string(), false),
        };
        let alias = if self.rng.random_bool(0.3) { " a" } else { "" };
        let mut text = String::from("SELECT ");
        let items = self.rng.random_range(1..5);
        let mut list = Vec::new();
        for i in 0..items {
            let item = match self.rng.random_range(0..8) {
                0 => "*".to_string(),
                1 if aggregate => format!("COUNT(*) AS C{i}"),
                2 if aggregate => format!("{} AS G{i}", self.call(2, FunctionKind::Aggregate)),
                3 => format!("{} AS X{i}", self.expr(3, from)),
                _ => self.column(from),
            };
            list.push(item);
        }
        text.push_str(&list.join(", "));
        text.push_str(&format!(" FROM {source}{alias}"));
        if self.rng.random_ratio(1, 4) && !self.sources.is_empty() {
            let other = self.rng.random_range(0..self.sources.len());
            let other_name = self.sources[other].name.clone();
            let kind = self.pick(&[
                "JOIN",
                "INNER JOIN",
                "LEFT JOIN",
                "LEFT OUTER JOIN",
                "RIGHT JOIN",
                "FULL OUTER JOIN",
            ]);
            text.push_str(&format!(" {kind} {other_name} b"));
            if !is_table || self.rng.random_ratio(1, 4) {
                let within = self.pick(DURATIONS);
                text.push_str(&format!(" WITHIN {within}"));
                if self.rng.random_bool(0.3) {
                    text.push_str(&format!(" GRACE PERIOD {}", self.pick(DURATIONS)));
                }
            }
            let left = self.column(from);
            let right = self.column(other);
            text.push_str(&format!(
                " ON {left} = b.{}",
                right.rsplit('.').next().unwrap_or("ID")
            ));
        }
        if aggregate && self.rng.random_bool(0.5) {
            let window = match self.rng.random_range(0..3) {
                0 => format!("TUMBLING (SIZE {})", self.pick(DURATIONS)),
                1 => format!(
                    "HOPPING (SIZE {}, ADVANCE BY {})",
                    self.pick(DURATIONS),
                    self.pick(DURATIONS)
                ),
                _ => format!("SESSION ({})", self.pick(DURATIONS)),
            };
            text.push_str(&format!(" WINDOW {window}"));
        }
        if self.rng.random_bool(0.4) {
            let condition = self.expr(3, from);
            text.push_str(&format!(" WHERE {condition}"));
        }
        if aggregate || self.rng.random_ratio(1, 6) {
            let keys: Vec<String> = (0..self.rng.random_range(1..3))
                .map(|_| self.column(from))
                .collect();
            text.push_str(&format!(" GROUP BY {}", keys.join(", ")));
            if self.rng.random_ratio(1, 4) {
                let having = self.expr(2, from);
                text.push_str(&format!(" HAVING {having}"));
            }
        } else if self.rng.random_ratio(1, 4) {
            let key = self.expr(2, from);
            text.push_str(&format!(" PARTITION BY {key}"));
        }
        text.push_str(self.pick(&[" EMIT CHANGES", " EMIT CHANGES", " EMIT FINAL", ""]));
        text
    }
}

//! One test per construct of the dialect: statements, clauses, expressions, types.

use super::*;

fn column(expr: &Expr) -> (Option<&str>, &str) {
    match &expr.kind {
        ExprKind::Column { qualifier, name } => (
            qualifier.as_ref().map(|q| q.value.as_str()),
            name.value.as_str(),
        ),
        other => panic!("not a column: {other:?}"),
    }
}

#[test]
fn set_and_unset() {
    let statements = parse_ok("SET 'auto.offset.reset'='earliest';\nUNSET 'a.b';");
    assert_eq!(statements.len(), 2);
    match &statements[0].kind {
        StatementKind::SetProperty { name, value } => {
            assert_eq!(name.value, "auto.offset.reset");
            assert_eq!(value.value, "earliest");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&statements[1].kind, StatementKind::UnsetProperty { name } if name.value == "a.b")
    );
}

#[test]
fn create_stream_with_columns_and_properties() {
    let source = "-- a comment\nCREATE OR REPLACE STREAM IF NOT EXISTS pageviews (\n  id BIGINT KEY, `Name` STRING, h BYTES HEADER('trace'), hs ARRAY<STRUCT<KEY STRING, VALUE BYTES>> HEADERS\n) WITH (kafka_topic='pv', 'VALUE_FORMAT'='JSON', PARTITIONS=2);";
    let statements = parse_ok(source);
    let StatementKind::CreateSource(create) = &statements[0].kind else {
        panic!("{statements:?}")
    };
    assert_eq!(create.kind, SourceKind::Stream);
    assert!(create.or_replace && create.if_not_exists && !create.is_source);
    assert_eq!(create.name.value, "PAGEVIEWS");
    let elements = create.elements.as_ref().unwrap();
    assert_eq!(elements[0].name.value, "ID");
    assert!(matches!(
        elements[0].constraint,
        Some(ColumnConstraint::Key { .. })
    ));
    assert_eq!(elements[1].name.value, "Name");
    assert!(elements[1].name.quoted);
    assert!(
        matches!(&elements[2].constraint, Some(ColumnConstraint::Header { key, .. }) if key.value == "trace")
    );
    assert!(matches!(
        elements[3].constraint,
        Some(ColumnConstraint::Headers { .. })
    ));
    let names: Vec<&str> = create
        .properties
        .items
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["KAFKA_TOPIC", "VALUE_FORMAT", "PARTITIONS"]);
    assert_eq!(
        create.properties.get("PARTITIONS").unwrap().value,
        Literal::Int(2)
    );
    let topic = create.properties.get("KAFKA_TOPIC").unwrap();
    assert_eq!(topic.name_span.text(source), "kafka_topic");
    assert_eq!(topic.value_span.text(source), "'pv'");
    assert!(
        statements[0]
            .text(source)
            .starts_with("CREATE OR REPLACE STREAM")
    );
    assert!(statements[0].text(source).ends_with("PARTITIONS=2)"));
}

#[test]
fn create_source_table_without_columns() {
    let statements = parse_ok("CREATE SOURCE TABLE t WITH (kafka_topic='t', format='AVRO')");
    let StatementKind::CreateSource(create) = &statements[0].kind else {
        panic!()
    };
    assert!(create.is_source && create.elements.is_none());
    assert_eq!(create.kind, SourceKind::Table);
}

#[test]
fn create_type() {
    let statements = parse_ok("CREATE TYPE address AS STRUCT<street VARCHAR, zip INT>;");
    let StatementKind::CreateType(create) = &statements[0].kind else {
        panic!()
    };
    assert_eq!(create.name.value, "ADDRESS");
    let TypeKind::Struct(fields) = &create.data_type.kind else {
        panic!()
    };
    assert_eq!(fields[0].name.value, "STREET");
    assert_eq!(fields[0].data_type.kind, TypeKind::String);
}

#[test]
fn types() {
    let source = "CREATE STREAM S (a DECIMAL(4, 2), b MAP<STRING, ARRAY<ARRAY<INT>>>, c STRUCT<>, d address, e TIMESTAMP, f INTEGER, g VARCHAR(20)) WITH (kafka_topic='s', format='JSON');";
    let statements = parse_ok(source);
    let StatementKind::CreateSource(create) = &statements[0].kind else {
        panic!()
    };
    let kinds: Vec<&TypeKind> = create
        .elements
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| &e.data_type.kind)
        .collect();
    assert_eq!(
        kinds[0],
        &TypeKind::Decimal {
            precision: 4,
            scale: 2
        }
    );
    let TypeKind::Map(_, value) = kinds[1] else {
        panic!()
    };
    assert_eq!(value.span.text(source), "ARRAY<ARRAY<INT>>");
    assert_eq!(kinds[2], &TypeKind::Struct(vec![]));
    assert!(matches!(kinds[3], TypeKind::Custom(name) if name.value == "ADDRESS"));
    assert_eq!(kinds[4], &TypeKind::Timestamp);
    assert_eq!(kinds[5], &TypeKind::Int);
    assert_eq!(kinds[6], &TypeKind::String);
}

#[test]
fn create_as_select_with_every_clause() {
    let source = "CREATE TABLE agg WITH (kafka_topic='out') AS SELECT s.id, COUNT(*) AS cnt, LATEST_BY_OFFSET(v) v\n FROM src s WINDOW TUMBLING (SIZE 1 MINUTE, RETENTION 2 HOURS, GRACE PERIOD 10 SECONDS)\n WHERE v > 0 GROUP BY s.id HAVING COUNT(*) > 1 EMIT CHANGES LIMIT 10;";
    let query = query_of(source);
    assert_eq!(query.select.len(), 3);
    let SelectItem::Expr { alias, .. } = &query.select[2] else {
        panic!()
    };
    assert_eq!(alias.as_ref().unwrap().value, "V");
    assert_eq!(query.from.alias.as_ref().unwrap().value, "S");
    let window = query.window.unwrap();
    assert_eq!(
        window.kind,
        WindowKind::Tumbling {
            size: Duration {
                millis: 60_000,
                span: window_size_span(source, "1 MINUTE")
            }
        }
    );
    assert_eq!(window.retention.unwrap().millis, 7_200_000);
    assert_eq!(window.grace.unwrap().millis, 10_000);
    assert_eq!(query.group_by.len(), 1);
    assert!(query.having.is_some());
    assert!(matches!(query.emit, Some(Emit::Changes { .. })));
    assert_eq!(query.limit.unwrap().0, 10);
}

fn window_size_span(source: &str, text: &str) -> Span {
    let start = source.find(text).unwrap();
    Span::new(start, start + text.len())
}

#[test]
fn hopping_and_session_windows() {
    let query = query_of(
        "CREATE TABLE T AS SELECT K, COUNT(*) FROM S WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY K;",
    );
    assert!(
        matches!(query.window.unwrap().kind, WindowKind::Hopping { size, advance } if size.millis == 30_000 && advance.millis == 10_000)
    );
    let query = query_of(
        "CREATE TABLE T AS SELECT K, COUNT(*) FROM S WINDOW SESSION (5 MINUTES, GRACE PERIOD 1 MILLISECOND) GROUP BY K EMIT FINAL;",
    );
    let window = query.window.unwrap();
    assert!(matches!(window.kind, WindowKind::Session { gap } if gap.millis == 300_000));
    assert_eq!(window.grace.unwrap().millis, 1);
    assert!(matches!(query.emit, Some(Emit::Final { .. })));
}

#[test]
fn joins() {
    let query = query_of(
        "CREATE STREAM J AS SELECT * FROM a JOIN b WITHIN 10 SECONDS ON a.id = b.id LEFT OUTER JOIN c WITHIN (1 HOUR, 2 HOURS) GRACE PERIOD 5 MINUTES ON a.id = c.id FULL JOIN d AS dd ON a.id = dd.id RIGHT JOIN e ON a.id = e.id INNER JOIN f ON TRUE;",
    );
    let kinds: Vec<JoinKind> = query.joins.iter().map(|j| j.kind).collect();
    assert_eq!(
        kinds,
        [
            JoinKind::Inner,
            JoinKind::Left,
            JoinKind::Full,
            JoinKind::Right,
            JoinKind::Inner
        ]
    );
    let first = query.joins[0].within.as_ref().unwrap();
    assert_eq!((first.before.millis, first.after.millis), (10_000, 10_000));
    let second = query.joins[1].within.as_ref().unwrap();
    assert_eq!(
        (second.before.millis, second.after.millis),
        (3_600_000, 7_200_000)
    );
    assert_eq!(second.grace.unwrap().millis, 300_000);
    assert_eq!(query.joins[2].source.alias.as_ref().unwrap().value, "DD");
    assert!(matches!(query.select[0], SelectItem::Wildcard { .. }));
}

#[test]
fn insert_into_and_partition_by() {
    let statements = parse_ok(
        "INSERT INTO sink WITH (QUERY_ID='q1') SELECT a.*, x->y->* FROM a PARTITION BY x, y;",
    );
    let StatementKind::InsertInto(insert) = &statements[0].kind else {
        panic!()
    };
    assert_eq!(insert.target.value, "SINK");
    assert_eq!(
        insert.properties.get("QUERY_ID").unwrap().value,
        Literal::String("q1".into())
    );
    assert!(
        matches!(&insert.query.select[0], SelectItem::QualifiedWildcard { qualifier, .. } if qualifier.value == "A")
    );
    assert!(matches!(
        &insert.query.select[1],
        SelectItem::StructWildcard { .. }
    ));
    assert_eq!(insert.query.partition_by.len(), 2);
}

#[test]
fn parenthesized_group_by_list() {
    let query = query_of("CREATE TABLE T AS SELECT A, B, COUNT(*) FROM S GROUP BY (A, B);");
    assert_eq!(query.group_by.len(), 2);
    let query = query_of("CREATE TABLE T AS SELECT COUNT(*) FROM S GROUP BY (A + 1) * 2;");
    assert_eq!(query.group_by.len(), 1);
}

#[test]
fn literals_are_typed_like_ksqldb() {
    assert_eq!(expr_of("1").kind, ExprKind::Literal(Literal::Int(1)));
    assert_eq!(
        expr_of("-2147483648").kind,
        ExprKind::Literal(Literal::Int(i32::MIN))
    );
    assert_eq!(
        expr_of("2147483648").kind,
        ExprKind::Literal(Literal::BigInt(2_147_483_648))
    );
    assert_eq!(
        expr_of("1.50").kind,
        ExprKind::Literal(Literal::Decimal("1.50".into()))
    );
    assert_eq!(
        expr_of("1.5E3").kind,
        ExprKind::Literal(Literal::Double(1500.0))
    );
    assert_eq!(
        expr_of("DECIMAL '0.10'").kind,
        ExprKind::Literal(Literal::Decimal("0.10".into()))
    );
    assert_eq!(
        expr_of("'it''s'").kind,
        ExprKind::Literal(Literal::String("it's".into()))
    );
    assert_eq!(
        expr_of("true").kind,
        ExprKind::Literal(Literal::Boolean(true))
    );
    assert_eq!(expr_of("NULL").kind, ExprKind::Literal(Literal::Null));
}

#[test]
fn identifiers_follow_ksqldb_case_rules() {
    let expr = expr_of("s.`Mixed`");
    assert_eq!(column(&expr), (Some("S"), "Mixed"));
    let expr = expr_of("\"quoted\"");
    assert_eq!(column(&expr), (None, "quoted"));
}

#[test]
fn precedence_and_spans() {
    let source = "CREATE STREAM O AS SELECT (a + b) * c || 'x' AS v FROM S;";
    let query = query_of(source);
    let SelectItem::Expr { expr, .. } = &query.select[0] else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Concat,
        left,
        ..
    } = &expr.kind
    else {
        panic!("{expr:?}")
    };
    assert_eq!(left.span.text(source), "(a + b) * c");
    let ExprKind::Binary {
        op: BinaryOp::Multiply,
        left,
        ..
    } = &left.kind
    else {
        panic!()
    };
    assert_eq!(left.span.text(source), "(a + b)");
    assert_eq!(expr.span.text(source), "(a + b) * c || 'x'");
}

#[test]
fn boolean_precedence() {
    let expr = expr_of("NOT a = 1 OR b AND c IS NOT NULL");
    let ExprKind::Binary {
        op: BinaryOp::Or,
        left,
        right,
    } = &expr.kind
    else {
        panic!()
    };
    assert!(matches!(
        left.kind,
        ExprKind::Unary {
            op: UnaryOp::Not,
            ..
        }
    ));
    let ExprKind::Binary {
        op: BinaryOp::And,
        right,
        ..
    } = &right.kind
    else {
        panic!()
    };
    assert!(matches!(right.kind, ExprKind::IsNull { negated: true, .. }));
}

#[test]
fn predicates() {
    assert!(matches!(
        expr_of("a NOT BETWEEN 1 AND 2").kind,
        ExprKind::Between { negated: true, .. }
    ));
    assert!(
        matches!(expr_of("a IN (1, 2, 3)").kind, ExprKind::InList { ref list, negated: false, .. } if list.len() == 3)
    );
    assert!(matches!(
        expr_of("a LIKE 'x!%' ESCAPE '!'").kind,
        ExprKind::Like {
            escape: Some('!'),
            ..
        }
    ));
    assert!(matches!(
        expr_of("a IS DISTINCT FROM b").kind,
        ExprKind::IsDistinctFrom { negated: false, .. }
    ));
    assert!(matches!(
        expr_of("a IS NOT DISTINCT FROM b").kind,
        ExprKind::IsDistinctFrom { negated: true, .. }
    ));
}

#[test]
fn case_and_cast() {
    let expr = expr_of("CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END");
    assert!(
        matches!(expr.kind, ExprKind::Case { operand: None, ref whens, else_result: Some(_) } if whens.len() == 2)
    );
    let expr = expr_of("CASE a WHEN 1 THEN 'x' END");
    assert!(matches!(
        expr.kind,
        ExprKind::Case {
            operand: Some(_),
            else_result: None,
            ..
        }
    ));
    let expr = expr_of("CAST(a AS ARRAY<DECIMAL(10, 2)>)");
    let ExprKind::Cast { data_type, .. } = expr.kind else {
        panic!()
    };
    assert!(matches!(data_type.kind, TypeKind::Array(_)));
}

#[test]
fn dereference_and_subscripts() {
    let source = "CREATE STREAM O AS SELECT a->b->c[1]['k'] FROM S;";
    let query = query_of(source);
    let SelectItem::Expr { expr, .. } = &query.select[0] else {
        panic!()
    };
    let ExprKind::Subscript { base, index } = &expr.kind else {
        panic!("{expr:?}")
    };
    assert_eq!(index.kind, ExprKind::Literal(Literal::String("k".into())));
    let ExprKind::Subscript { base, .. } = &base.kind else {
        panic!()
    };
    let ExprKind::Dereference { base, field } = &base.kind else {
        panic!()
    };
    assert_eq!(field.value, "C");
    assert_eq!(base.span.text(source), "a->b");
}

#[test]
fn constructors() {
    assert!(matches!(expr_of("ARRAY[1, 2]").kind, ExprKind::Array(ref items) if items.len() == 2));
    assert!(matches!(expr_of("ARRAY[]").kind, ExprKind::Array(ref items) if items.is_empty()));
    assert!(
        matches!(expr_of("MAP('a' := 1, 'b' := 2)").kind, ExprKind::Map(ref entries) if entries.len() == 2)
    );
    let ExprKind::Struct(fields) = expr_of("STRUCT(f1 := 1, `f2` := 'x')").kind else {
        panic!()
    };
    assert_eq!(fields[0].0.value, "F1");
    assert_eq!(fields[1].0.value, "f2");
}

#[test]
fn function_calls_and_lambdas() {
    let ExprKind::Function { name, args, star } = expr_of("COUNT(*)").kind else {
        panic!()
    };
    assert_eq!((name.value.as_str(), args.len(), star), ("COUNT", 0, true));
    let ExprKind::Function { args, .. } =
        expr_of("TRANSFORM(m, (k, v) => k + 1, (k, v) => UCASE(v))").kind
    else {
        panic!()
    };
    assert!(matches!(&args[1].kind, ExprKind::Lambda { params, .. } if params.len() == 2));
    let ExprKind::Function { args, .. } = expr_of("FILTER(arr, x => x > 1)").kind else {
        panic!()
    };
    assert!(matches!(&args[1].kind, ExprKind::Lambda { params, .. } if params[0].value == "X"));
    let ExprKind::Function { args, .. } = expr_of("TIMESTAMPADD(SECONDS, 5, ts)").kind else {
        panic!()
    };
    assert_eq!(args[0].kind, ExprKind::TimeUnit(TimeUnit::Second));
    let ExprKind::Function { args, .. } = expr_of("FN((a + 1) * 2)").kind else {
        panic!()
    };
    assert!(matches!(
        args[0].kind,
        ExprKind::Binary {
            op: BinaryOp::Multiply,
            ..
        }
    ));
}

#[test]
fn keywords_usable_as_names() {
    let query =
        query_of("CREATE STREAM O AS SELECT KEY, VALUE, TIMESTAMP, DATE, SIZE, TYPE FROM S;");
    assert_eq!(query.select.len(), 6);
}

#[test]
fn comments_and_multi_line_statements() {
    let source = "/* header\n comment */ CREATE STREAM A\n -- inline; with semicolon\n AS SELECT *\n FROM B;\n\n-- trailing";
    let statements = parse_ok(source);
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0].text(source),
        "CREATE STREAM A\n -- inline; with semicolon\n AS SELECT *\n FROM B"
    );
}

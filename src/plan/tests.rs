//! Planner tests: stable names, repartitions where ksqlDB makes them, lock entries.

use super::plan_file;

const FILE: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER STRING, AMOUNT DOUBLE)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE TABLE CUSTOMERS (CUSTOMER STRING PRIMARY KEY, NAME STRING)
  WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE STREAM BIG AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 100;
CREATE TABLE TOTALS AS SELECT CUSTOMER, SUM(AMOUNT) AS TOTAL FROM ORDERS GROUP BY CUSTOMER;
CREATE STREAM ENRICHED AS SELECT O.CUSTOMER, ID, NAME FROM ORDERS O
  JOIN CUSTOMERS C ON O.CUSTOMER = C.CUSTOMER;
";

#[test]
fn names_derive_from_plan_paths() {
    let file = plan_file(FILE, "svc").unwrap();
    let totals = file.queries.iter().find(|q| q.id == "CTAS_TOTALS").unwrap();
    assert_eq!(totals.application_id, "_weir-svc-CTAS_TOTALS");
    assert_eq!(
        totals.internal_topics(),
        [
            "_weir-svc-CTAS_TOTALS-Aggregate-Aggregate-Materialize-changelog",
            "_weir-svc-CTAS_TOTALS-Aggregate-GroupBy-repartition",
        ]
    );
    let enriched = file
        .queries
        .iter()
        .find(|q| q.id == "CSAS_ENRICHED")
        .unwrap();
    assert_eq!(
        enriched.internal_topics(),
        ["_weir-svc-CSAS_ENRICHED-Join-left-repartition"]
    );
    let big = file.queries.iter().find(|q| q.id == "CSAS_BIG").unwrap();
    assert!(big.internal_topics().is_empty());
}

#[test]
fn reordering_or_adding_queries_renames_nothing() {
    let before = plan_file(FILE, "svc").unwrap().locked();
    let reordered = FILE.replace(
        "CREATE STREAM BIG AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 100;\n",
        "",
    ) + "CREATE STREAM SMALL AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT < 1;\n\
         CREATE STREAM BIG AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 100;\n";
    let after = plan_file(&reordered, "svc").unwrap().locked();
    for query in &before {
        let same = after.iter().find(|q| q.id == query.id).unwrap();
        assert_eq!(same, query, "{} changed", query.id);
    }
    assert_eq!(after.len(), before.len() + 1);
}

#[test]
fn statement_hash_ignores_layout() {
    let a = plan_file(FILE, "svc").unwrap().locked();
    let relaid = FILE.replace(
        "CREATE STREAM BIG AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT > 100;",
        "create stream big as\n  select id, amount -- the big ones\n  from orders where amount > 100;",
    );
    let b = plan_file(&relaid, "svc").unwrap().locked();
    assert_eq!(a, b);
}

#[test]
fn explain_lists_sub_topologies_stores_and_topics() {
    let file = plan_file(FILE, "svc").unwrap();
    let totals = file.queries.iter().find(|q| q.id == "CTAS_TOTALS").unwrap();
    let text = totals.to_string();
    assert!(text.contains("sub-topology 1:"), "{text}");
    assert!(
        text.contains("Aggregate-Aggregate-Materialize  key: `CUSTOMER` STRING KEY"),
        "{text}"
    );
    assert!(
        text.contains("consumer group: _weir-svc-CTAS_TOTALS"),
        "{text}"
    );
}

#[test]
fn partition_by_straight_to_the_sink_does_not_repartition() {
    let file = plan_file(
        &(FILE.to_owned()
            + "CREATE STREAM BY_CUSTOMER AS SELECT CUSTOMER, ID FROM ORDERS PARTITION BY CUSTOMER;\n"),
        "svc",
    )
    .unwrap();
    let by_customer = file
        .queries
        .iter()
        .find(|q| q.id == "CSAS_BY_CUSTOMER")
        .unwrap();
    // Re-keyed in place: one sub-topology, no internal topic; the sink's partitioner places
    // the rows by their new key.
    assert!(by_customer.internal_topics().is_empty());
    let text = by_customer.to_string();
    assert!(text.contains("selectKey/v1 PartitionBy"), "{text}");
    assert!(!text.contains("sub-topology 1:"), "{text}");
}

#[test]
fn a_table_filter_remembers_the_keys_that_passed() {
    let file = plan_file(
        &(FILE.to_owned()
            + "CREATE TABLE NAMED AS SELECT CUSTOMER, NAME FROM CUSTOMERS WHERE NAME IS NOT NULL;\n"),
        "svc",
    )
    .unwrap();
    let named = file.queries.iter().find(|q| q.id == "CTAS_NAMED").unwrap();
    assert_eq!(
        named.internal_topics(),
        ["_weir-svc-CTAS_NAMED-WhereFilter-Passed-changelog"]
    );
    // A stream's filter keeps no state.
    let big = file.queries.iter().find(|q| q.id == "CSAS_BIG").unwrap();
    assert!(big.stores().is_empty());
}

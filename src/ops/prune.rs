//! Which value columns of a stream source a query reads. A projection over a stream source
//! (with only stream filters between them) is the one consumer of the source's rows, so every
//! column it, the filters and the event time do not name is dead. The source's JSON reader
//! then leaves unread STRING columns NULL instead of copying them out of every record; a
//! STRING column accepts any JSON value, so skipping it changes no outcome, and columns of
//! other types are still read so a bad value fails the record exactly as before.

use std::collections::HashMap;

use super::layout::InputLayout;
use crate::expr::TypedExpr;
use crate::expr::compile::Slot;
use crate::plan::Step;

/// Per stream-source step (by context name), whether each of its value columns is read;
/// sources not in the map are read whole.
pub(super) fn read_value_columns(root: &Step) -> HashMap<String, Vec<bool>> {
    let mut found = HashMap::new();
    for step in root.walk() {
        let Step::Select { input, columns, .. } = step else {
            continue;
        };
        let mut expressions: Vec<&TypedExpr> = columns.iter().map(|c| &c.expr).collect();
        let mut below = &**input;
        while let Step::Filter {
            input,
            predicate,
            store: None,
            ..
        } = below
        {
            expressions.push(predicate);
            below = input;
        }
        let Step::StreamSource {
            ctx,
            schema,
            timestamp,
            window: None,
            ..
        } = below
        else {
            continue;
        };
        let mut read = vec![false; schema.values().count()];
        if let Some(ts) = timestamp {
            match schema.values().position(|c| c.name == ts.column) {
                Some(at) => read[at] = true,
                None => continue,
            }
        }
        let layout = InputLayout::keys(schema.keys().count());
        let mut references = Vec::new();
        for expression in expressions {
            expression.columns(&mut references);
        }
        let mut understood = true;
        for reference in references {
            match layout.resolve(reference) {
                Some(Slot::Value(at)) if at < read.len() => read[at] = true,
                Some(Slot::Key(_) | Slot::System(_)) => {}
                _ => understood = false,
            }
        }
        if understood {
            found.insert(ctx.clone(), read);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(sql: &str) -> crate::plan::PlannedQuery {
        let file = crate::plan::plan_file(sql, "weir").expect("plans");
        file.queries.into_iter().last().expect("a query")
    }

    const BIDS: &str = "CREATE STREAM BIDS (AUCTION BIGINT KEY, BIDDER BIGINT, PRICE BIGINT, \
        CHANNEL STRING, URL STRING, DATE_TIME BIGINT) WITH (KAFKA_TOPIC='bids', \
        VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='DATE_TIME');";

    #[test]
    fn a_projection_over_filters_reads_only_the_columns_it_names() {
        let query = planned(&format!(
            "{BIDS} CREATE STREAM OUT AS SELECT AUCTION, PRICE * 2 AS P FROM BIDS \
             WHERE CHANNEL = 'apple' EMIT CHANGES;"
        ));
        let read = read_value_columns(&query.steps);
        let (_, columns) = read.iter().next().expect("the source is pruned");
        // BIDDER, PRICE, CHANNEL, URL, DATE_TIME (the event time).
        assert_eq!(columns, &[false, true, true, false, true]);
    }

    #[test]
    fn star_and_stateful_queries_read_everything() {
        let star = planned(&format!(
            "{BIDS} CREATE STREAM OUT AS SELECT * FROM BIDS EMIT CHANGES;"
        ));
        let read = read_value_columns(&star.steps);
        assert!(read.values().all(|c| c.iter().all(|&r| r)), "{read:?}");
        let grouped = planned(&format!(
            "{BIDS} CREATE TABLE OUT AS SELECT AUCTION, COUNT(*) AS N FROM BIDS \
             GROUP BY AUCTION EMIT CHANGES;"
        ));
        assert!(read_value_columns(&grouped.steps).is_empty());
    }
}

//! Stable names: the application id of a query, and the store and internal-topic names that
//! derive from plan paths (`Aggregate-GroupBy-repartition`,
//! `Aggregate-Aggregate-Materialize-changelog`), never from counters, so that adding,
//! removing or reordering queries renames nothing. Also the normalized statement text that the
//! lock hashes.

/// `_weir-<service_id>-<query_id>`: consumer group and internal-topic prefix.
pub fn application_id(service_id: &str, query_id: &str) -> String {
    format!("_weir-{service_id}-{query_id}")
}

/// `<app_id>-<name>-changelog`.
pub fn changelog_topic(app_id: &str, store: &str) -> String {
    format!("{app_id}-{store}-changelog")
}

/// `<app_id>-<name>-repartition` (`name` already ends with the node, e.g. `PartitionBy`).
pub fn repartition_topic(app_id: &str, name: &str) -> String {
    format!("{app_id}-{name}-repartition")
}

/// A statement with comments removed, whitespace collapsed and unquoted text upper-cased, so
/// that reformatting a query does not change its hash. String literals and quoted identifiers
/// keep their text.
pub fn normalize_statement(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                pending_space = true;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                pending_space = true;
            }
            '\'' | '`' | '"' => {
                let after_word = out
                    .chars()
                    .last()
                    .is_some_and(|l| l.is_alphanumeric() || matches!(l, '_' | '\'' | '`' | '"'));
                if pending_space && after_word {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    if inner == c {
                        if chars.peek() == Some(&c) {
                            out.push(c);
                            chars.next();
                            continue;
                        }
                        break;
                    }
                }
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                let joins_word = |a: char, b: char| {
                    (a.is_alphanumeric() || a == '_') && (b.is_alphanumeric() || b == '_')
                };
                if pending_space
                    && let Some(last) = out.chars().last()
                    && joins_word(last, c)
                {
                    out.push(' ');
                }
                pending_space = false;
                out.extend(c.to_uppercase());
            }
        }
    }
    out.trim_end_matches(';').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_ignores_layout_comments_and_case() {
        let a = "create stream s as select a, b -- note\n  from t where c = 'x y';";
        let b = "CREATE STREAM S AS\n/* c */ SELECT A,B FROM T WHERE C='x y'";
        assert_eq!(normalize_statement(a), normalize_statement(b));
        assert_ne!(
            normalize_statement("SELECT 'a' FROM T"),
            normalize_statement("SELECT 'A' FROM T")
        );
    }
}

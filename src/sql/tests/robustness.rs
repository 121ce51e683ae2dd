//! The parser must never panic: random text and mangled SQL may only produce diagnostics,
//! and every diagnostic must render.

use super::*;
use proptest::prelude::*;

const SAMPLE: &str = "CREATE STREAM S (ID BIGINT KEY, `v` MAP<STRING, ARRAY<STRUCT<A INT>>>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\nCREATE TABLE T AS SELECT s.ID, COUNT(*) AS C, TRANSFORM(v, (k, x) => x->A + 1.5) FROM S s JOIN U u WITHIN (1 HOUR, 2 DAYS) ON s.ID = u.ID WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 10 SECONDS) WHERE v['k'][1]->A BETWEEN -1 AND 1E3 GROUP BY s.ID HAVING COUNT(*) > 1 EMIT CHANGES;\n";

fn check(source: &str) {
    if let Err(diagnostics) = parse_file(source) {
        let _ = render_all(&diagnostics, source, "fuzz.sql");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text_does_not_panic(source in "\\PC{0,200}") {
        check(&source);
    }

    #[test]
    fn sql_alphabet_does_not_panic(source in "[A-Za-z0-9 ,;()<>=*'`\"\\[\\]\\-.:|%+/é☕\n]{0,200}") {
        check(&source);
    }

    #[test]
    fn mangled_sql_does_not_panic(cut in 0usize..400, from in 0usize..400, len in 0usize..40, dup in any::<bool>()) {
        let chars: Vec<char> = SAMPLE.chars().collect();
        let cut = cut.min(chars.len());
        let truncated: String = chars[..cut].iter().collect();
        check(&truncated);
        let from = from.min(chars.len());
        let to = (from + len).min(chars.len());
        let mut mangled: Vec<char> = chars[..from].to_vec();
        if dup {
            mangled.extend_from_slice(&chars[from..to]);
            mangled.extend_from_slice(&chars[from..]);
        } else {
            mangled.extend_from_slice(&chars[to..]);
        }
        check(&mangled.into_iter().collect::<String>());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let source = format!(
        "CREATE STREAM T AS SELECT {}1{} FROM S;",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(parse_file(&source).is_err());
    let source = format!("CREATE STREAM T AS SELECT {}1 FROM S;", "NOT ".repeat(5000));
    assert!(parse_file(&source).is_err());
    let source = format!("CREATE STREAM T AS SELECT {}1 FROM S;", "- ".repeat(5000));
    assert!(parse_file(&source).is_err());
    let source = format!(
        "CREATE TYPE X AS {}INT{};",
        "ARRAY<".repeat(5000),
        ">".repeat(5000)
    );
    assert!(parse_file(&source).is_err());
}

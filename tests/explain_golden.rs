//! EXPLAIN golden files: every queries file in `queries/` is planned and its EXPLAIN text
//! compared with `tests/golden/explain/<file>.txt`. `BLESS=1` rewrites the goldens for review in
//! the diff.

use std::path::PathBuf;

use weir::plan::plan_file;
use weir::sql::render_all;

#[test]
fn explain_matches_goldens() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("queries"))
        .expect("queries dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut mismatches = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read queries file");
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let planned = match plan_file(&text, "weir") {
            Ok(planned) => planned,
            Err(d) => panic!("{}", render_all(&d, &text, &name)),
        };
        let explain: String = planned
            .queries
            .iter()
            .map(|q| q.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let golden = root
            .join("tests/golden/explain")
            .join(format!("{name}.txt"));
        if bless {
            std::fs::write(&golden, &explain).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != explain {
            mismatches.push(format!("{}:\n{explain}", golden.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "EXPLAIN differs from the goldens (run with BLESS=1 to accept):\n{}",
        mismatches.join("\n")
    );
}

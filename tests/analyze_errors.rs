//! Users' mistakes and the full text weir prints for them: every `tests/golden/errors/*.sql`
//! is planned, its diagnostics rendered as `weir check` shows them, and the text compared with
//! the `.txt` next to it. `BLESS=1` rewrites the `.txt` files for review in the diff.

use std::path::PathBuf;

use weir::plan::plan_file;
use weir::sql::render_all;

#[test]
fn user_mistakes_render_verbatim() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/errors");
    let bless = std::env::var_os("BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("errors dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "at least ten mistakes are covered");
    let mut mismatches = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read case");
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let rendered = match plan_file(&text, "weir") {
            Ok(_) => format!("accepted: {name} should be rejected\n"),
            Err(diagnostics) => render_all(&diagnostics, &text, &name),
        };
        let golden = path.with_extension("txt");
        if bless {
            std::fs::write(&golden, &rendered).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != rendered {
            mismatches.push(format!("{}:\n{rendered}", golden.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "rendered errors differ (run with BLESS=1 to accept):\n{}",
        mismatches.join("\n")
    );
}

//! The bad-input catalogue, `docs/bad-inputs.md`, read for the suites that
//! execute it (`crates/cli/tests/bad_inputs.rs` runs the `cli`, `job`,
//! `endpoint` and `stack` rows, `crates/lambda/tests/reliability.rs` the
//! `event` rows). Strict: a table line that is not a well-formed row fails
//! the test, so no row is ever skipped unseen.

use crate::repo_root;

/// The surfaces the catalogue knows.
pub const SURFACES: [&str; 5] = ["cli", "job", "event", "endpoint", "stack"];

/// One row: its id, surface, and the text of its input and result code
/// spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueRow {
    /// The row's id.
    pub id: String,
    /// `cli`, `job`, `event`, `endpoint` or `stack`.
    pub surface: String,
    /// The input cell's code span.
    pub input: String,
    /// The result cell's code span.
    pub result: String,
}

/// Every row of `docs/bad-inputs.md`.
pub fn catalogue_rows() -> Vec<CatalogueRow> {
    let path = repo_root().join("docs/bad-inputs.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_catalogue(&text)
}

/// The rows of a catalogue's text. Panics, naming the line, on any table
/// line that is not a separator, the header, or a row of exactly four
/// cells (id, a known surface, a code span, a code span).
pub fn parse_catalogue(text: &str) -> Vec<CatalogueRow> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            continue;
        }
        if trimmed.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            continue;
        }
        let inner = trimmed
            .strip_prefix("| ")
            .and_then(|l| l.strip_suffix(" |"))
            .unwrap_or_else(|| {
                panic!("docs/bad-inputs.md line {n}: a table row must start with `| ` and end with ` |`: {line}")
            });
        let cells: Vec<&str> = inner.split(" | ").collect();
        if cells.len() != 4 {
            panic!(
                "docs/bad-inputs.md line {n}: {} cells, not 4 (id | surface | input | result; avoid `|` inside a cell): {line}",
                cells.len()
            );
        }
        if cells == ["id", "surface", "input", "result"] {
            continue;
        }
        let surface = cells[1].trim();
        assert!(
            SURFACES.contains(&surface),
            "docs/bad-inputs.md line {n}: unknown surface {surface:?} (one of {SURFACES:?}): {line}"
        );
        rows.push(CatalogueRow {
            id: cells[0].trim().to_owned(),
            surface: surface.to_owned(),
            input: code(cells[2], n),
            result: code(cells[3], n),
        });
    }
    assert!(!rows.is_empty(), "docs/bad-inputs.md has no rows");
    rows
}

/// The text of a code span: `` `x` `` or ``` `` x `` ```.
fn code(cell: &str, line: usize) -> String {
    let cell = cell.trim();
    if cell == "``" {
        return String::new();
    }
    if let Some(inner) = cell.strip_prefix("``").and_then(|c| c.strip_suffix("``")) {
        let inner = inner.strip_prefix(' ').unwrap_or(inner);
        return inner.strip_suffix(' ').unwrap_or(inner).to_owned();
    }
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or_else(|| panic!("docs/bad-inputs.md line {line}: not a code span: {cell}"))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "| id | surface | input | result |\n|---|---|---|---|\n";

    #[test]
    fn reads_rows_and_skips_only_headers_and_separators() {
        let rows = parse_catalogue(&format!(
            "# t\n\n{HEAD}| a | cli | `start` | `exit 2: x` |\n| b | event | `{{}}` | ``InvalidEvent: `y` `` |\n"
        ));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].result, "InvalidEvent: `y`");
    }

    #[test]
    fn a_row_it_cannot_parse_fails() {
        for bad in [
            "| a | cli | `start` |",
            "| a | cli | `start` | `exit 2` | extra |",
            "| a | cli | `x | y` | `exit 2` |",
            "| a | shell | `start` | `exit 2` |",
            "| a | cli | start | `exit 2` |",
            "|a | cli | `start` | `exit 2` |",
        ] {
            let text = format!("{HEAD}{bad}\n");
            let parsed = std::panic::catch_unwind(|| parse_catalogue(&text));
            assert!(parsed.is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn the_real_catalogue_parses() {
        assert!(catalogue_rows().len() > 100);
    }
}

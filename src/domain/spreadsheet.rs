//! CSV that is safe to open in a spreadsheet: a cell that starts with `=`,
//! `+`, `-`, `@` (or a tab or carriage return) is a formula to Excel and
//! LibreOffice, so an invitee named `=HYPERLINK(…)` would run in the
//! manager's results file. Such cells get a leading `'` (OWASP's advice).

/// One CSV cell: quoted, quotes doubled, formulas neutralised.
pub fn csv_cell(field: &str) -> String {
    let neutral = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

/// One CSV field as given: quoted, quotes doubled, nothing else changed
/// (for CSV that Roster reads, not for a spreadsheet).
pub fn csv_field(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_given() {
        assert_eq!(csv_field("a,\"b\"\nc"), "\"a,\"\"b\"\"\nc\"");
        assert_eq!(csv_field("=1+1"), "\"=1+1\"");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://evil\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\")\""
        );
        for prefix in ["+", "-", "@", "\t"] {
            assert!(
                csv_cell(&format!("{prefix}1+1")).starts_with("\"'"),
                "{prefix:?}"
            );
        }
    }

    #[test]
    fn ordinary_cells_are_only_quoted() {
        assert_eq!(csv_cell("ada@example.com"), "\"ada@example.com\"");
        assert_eq!(csv_cell("Ada \"the\" first"), "\"Ada \"\"the\"\" first\"");
    }
}

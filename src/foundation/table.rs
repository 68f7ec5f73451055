//! Tables for output: plain text for a terminal (columns padded to their widest cell, no borders to copy around),
//! and Markdown for a ticket or a pull request.

/// Renders rows under a header, each column as wide as its widest cell; the last column is not padded.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    // A cell is one line of input-derived text (a description, an error): control characters and line breaks
    // in it would redraw the terminal or forge rows.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| crate::foundation::terminal_text::line(cell).into_owned())
                .collect()
        })
        .collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate().take(columns) {
            widths[index] = widths[index].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate().take(columns) {
            if index + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[index] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Renders rows under a header as a Markdown table; a `|` or a line break in a cell is escaped so it stays one cell.
pub fn markdown(header: &[&str], rows: &[Vec<String>]) -> String {
    // Control characters are escaped as in the text table: a ticket body is often read in a terminal first.
    let cell = |text: &str| {
        crate::foundation::terminal_text::line(&text.replace('\n', " ")).replace('|', "\\|")
    };
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = line(header.iter().map(|h| cell(h)).collect());
    out.push_str(&line(header.iter().map(|_| "---".to_string()).collect()));
    for row in rows {
        out.push_str(&line(
            (0..header.len())
                .map(|index| cell(row.get(index).map(String::as_str).unwrap_or("")))
                .collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_columns_to_the_widest_cell() {
        let text = super::render(
            &["A", "B"],
            &[
                vec!["long cell".into(), "x".into()],
                vec!["s".into(), "y".into()],
            ],
        );
        assert_eq!(text, "A          B\nlong cell  x\ns          y\n");
    }

    #[test]
    fn a_cell_cannot_forge_a_row_or_reach_the_terminal() {
        let text = super::render(&["A"], &[vec!["x\nFAKE ROW\x1b[2J".into()]]);
        assert_eq!(text, "A\nx\\nFAKE ROW\\e[2J\n");
    }

    #[test]
    fn markdown_escapes_pipes_and_fills_short_rows() {
        let text = super::markdown(
            &["A", "B"],
            &[vec!["x|y".into()], vec!["1".into(), "2\n3".into()]],
        );
        assert_eq!(
            text,
            "| A | B |\n| --- | --- |\n| x\\|y |  |\n| 1 | 2 3 |\n"
        );
    }
}

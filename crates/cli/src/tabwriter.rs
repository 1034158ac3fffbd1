//! Column alignment as Go's `text/tabwriter` does it for the `influx` CLI's tables: minimum width 0, tab width 8,
//! padding 1, padding with tabs, no flags.
//!
//! The rules, for text made of lines of tab-terminated cells:
//! - the text after a line's last tab is not part of any column and is never padded;
//! - a column block is a run of consecutive lines that all have a cell in that column; its width is the widest
//!   cell of the block (in characters) plus the padding;
//! - a cell is followed by as many tabs as it takes to reach that width rounded up to a multiple of the tab width.

const TAB_WIDTH: usize = 8;
const PADDING: usize = 1;
const MIN_WIDTH: usize = 0;

/// Aligns `text` (lines separated by `\n`, cells by `\t`) and returns what Go's tabwriter would write.
pub fn align(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|line| line.split('\t').collect()).collect();
    // Cells that belong to a column: all but the last of each line.
    let columns = |line: &Vec<&str>| line.len() - 1;
    let width_of = |cell: &str| cell.chars().count();

    // widths[i][j]: the width of column j for line i (only for j < columns(line i)).
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|line| vec![0; columns(line)]).collect();
    let deepest = lines.iter().map(columns).max().unwrap_or(0);
    for column in 0..deepest {
        let mut start = 0;
        while start < lines.len() {
            if columns(&lines[start]) <= column {
                start += 1;
                continue;
            }
            let mut end = start;
            let mut width = MIN_WIDTH;
            while end < lines.len() && columns(&lines[end]) > column {
                width = width.max(width_of(lines[end][column]) + PADDING);
                end += 1;
            }
            for row in &mut widths[start..end] {
                row[column] = width;
            }
            start = end;
        }
    }

    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(&width) = widths[i].get(j) {
                let cell_width = width.div_ceil(TAB_WIDTH) * TAB_WIDTH;
                let padding = cell_width - width_of(cell);
                out.extend(std::iter::repeat_n('\t', padding.div_ceil(TAB_WIDTH)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn a_lone_header_line_gets_one_tab_per_short_cell() {
        assert_eq!(align("foo\tbar\tbaz\n"), "foo\tbar\tbaz\n");
    }

    #[test]
    fn columns_are_padded_to_the_next_tab_stop_past_the_widest_cell() {
        // Widest cell of column 0 is 13 characters, so the column is 14 wide and rounds up to 16: "a" needs 15
        // columns of padding (2 tabs), the 13-character cell 3 (1 tab).
        let text = "a\tb\nthirteen-char\tc\n";
        assert_eq!(align(text), "a\t\tb\nthirteen-char\tc\n");
    }

    #[test]
    fn a_cell_of_exactly_eight_characters_needs_a_second_tab_stop() {
        // 8 + padding 1 = 9, rounded up to 16: the 8-character cell gets 1 tab, an empty cell 2.
        assert_eq!(align("12345678\tx\n\ty\n"), "12345678\tx\n\t\ty\n");
    }

    #[test]
    fn the_last_cell_of_a_line_is_never_padded_or_measured() {
        let text = "ID\tPermissions\n1\t[a very long permission list that does not widen anything]\n";
        assert_eq!(
            align(text),
            "ID\tPermissions\n1\t[a very long permission list that does not widen anything]\n"
        );
    }

    #[test]
    fn column_blocks_end_at_a_line_without_that_column() {
        // Line 2 has no tab, so it ends the block: line 3's column is measured on its own.
        let text = "a-long-first-cell\tx\nno tabs here\nb\ty\n";
        assert_eq!(align(text), "a-long-first-cell\tx\nno tabs here\nb\ty\n");
        let text = "a-long-first-cell\tx\nb\ty\n";
        assert_eq!(align(text), "a-long-first-cell\tx\nb\t\t\ty\n");
    }

    #[test]
    fn inner_columns_are_measured_per_block() {
        // Column 1 exists on lines 1 and 2 only (line 3 has just one column), so line 3's second cell is its last.
        let text = "a\tsixteen-chars-xx\tend\nb\tc\tend\nc\tlast\n";
        assert_eq!(align(text), "a\tsixteen-chars-xx\tend\nb\tc\t\t\tend\nc\tlast\n");
    }

    #[test]
    fn width_counts_characters_not_bytes() {
        // "héllo wörld" is 11 characters (13 bytes): width 12, rounded to 16.
        assert_eq!(align("héllo wörld\tx\nab\ty\n"), "héllo wörld\tx\nab\t\ty\n");
    }

    #[test]
    fn empty_cells_are_padded_too() {
        assert_eq!(align("\t\tz\nabc\tdef\tz\n"), "\t\tz\nabc\tdef\tz\n");
    }

    #[test]
    fn text_without_a_final_newline_keeps_its_tail() {
        assert_eq!(align("a\tb"), "a\tb");
        assert_eq!(align(""), "");
    }
}

//! `--format csv`: one header row, then one row per result (or per machine fact for `info`).

use super::Grid;
use crate::model::Report;

pub(crate) fn render(report: &Report) -> String {
    let grid = Grid::of_report(report);
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer
        .write_record(&grid.headers)
        .expect("writing to memory");
    for row in &grid.rows {
        writer.write_record(row).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 cells")
}

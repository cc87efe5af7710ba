//! Office files for xuepei: reading rosters from `.xlsx`, `.xls` and `.csv` (UTF-8 or GBK)
//! row by row, and writing `.xlsx` exports and import templates in constant memory.

pub mod read;
pub mod template;
pub mod write;

pub use read::{Format, ReadError, Row, Source, Workbook};
pub use write::{Cell, Export, WriteError};

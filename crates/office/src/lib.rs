//! Office files for xuepei: reading rosters from `.xlsx`, `.xls` and `.csv` (UTF-8 or GBK)
//! row by row, and writing `.xlsx` exports and import templates in constant memory.
//!
//! Files to read come from users: containers are checked before parsing (`guard`),
//! parsing runs in a child process with its own limits (`isolate`), and every read is
//! bounded (`ReadLimits`).

pub mod docx;
pub mod gongwen;
mod guard;
pub mod isolate;
pub mod limits;
pub mod pdf;
pub mod read;
pub mod template;
pub mod write;

pub use limits::{ChildLimits, Isolation, ReadLimits, ReadOptions};
pub use read::{Format, ReadError, Row, Source, Workbook};
pub use write::{Cell, Export, WriteError};

//! What reading one untrusted file may cost, and where it runs.

use std::path::PathBuf;
use std::time::Duration;

/// Bounds on one import's file. Every check that uses them refuses the file with a
/// Chinese message; none truncates silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLimits {
    /// Data rows of the sheet that is read.
    pub max_rows: u64,
    /// Rows allowed beyond `max_rows` for titles, the header and notes: the file may hold
    /// `max_rows + extra_rows` rows in all (every row counts, blank or not).
    pub extra_rows: u64,
    /// Cells beyond this column are ignored.
    pub max_columns: usize,
    /// Characters in one cell (Excel's own limit is 32,767).
    pub max_cell_chars: usize,
    /// Bytes of one CSV record.
    pub max_row_bytes: usize,
    /// Cells in one sheet (including those beyond `max_columns`).
    pub max_cells: u64,
    /// Bytes of an `.xlsx` once unpacked, all parts together.
    pub max_unpacked_bytes: u64,
    /// Bytes of one unpacked part other than a worksheet (shared strings, styles…),
    /// which the spreadsheet library holds in memory.
    pub max_part_bytes: u64,
    /// Unpacked size over packed size, for parts over 1 MiB.
    pub max_ratio: u64,
    /// Parts in an `.xlsx` (a workbook has a few dozen).
    pub max_zip_entries: u64,
    /// Bytes of the file itself.
    pub max_input_bytes: u64,
}

/// Default row limit of a people import.
pub const DEFAULT_MAX_ROWS: u64 = 1_000_000;
/// Cells per row, on average, that a sheet of `max_rows` rows may hold.
const CELLS_PER_ROW: u64 = 64;

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits::with_rows(DEFAULT_MAX_ROWS)
    }
}

impl ReadLimits {
    /// Rows a sheet may hold in all.
    pub fn file_rows(&self) -> u64 {
        self.max_rows.saturating_add(self.extra_rows)
    }

    /// The defaults, with a row limit (the cell limit follows it).
    pub fn with_rows(max_rows: u64) -> Self {
        let max_rows = max_rows.max(1);
        ReadLimits {
            max_rows,
            extra_rows: 100,
            max_columns: crate::read::MAX_COLUMNS,
            max_cell_chars: 32_767,
            max_row_bytes: 1024 * 1024,
            max_cells: max_rows.saturating_mul(CELLS_PER_ROW).max(1 << 20),
            max_unpacked_bytes: 2 << 30,
            max_part_bytes: 256 << 20,
            max_ratio: 250,
            max_zip_entries: 10_000,
            max_input_bytes: 1 << 30,
        }
    }
}

/// Where `.xlsx` and `.xls` files are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// In this process: for files we wrote ourselves (tests, benchmarks).
    InProcess,
    /// In a child process with its own memory and CPU limits, so that whatever the
    /// spreadsheet library still does wrong costs one refused file.
    Child(ChildLimits),
}

/// The reader process and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildLimits {
    /// The `xuepei` executable (it has the hidden `read-sheet` command); `None` means
    /// the running executable.
    pub program: Option<PathBuf>,
    /// Address space of the reader, in MiB.
    pub memory_mb: u64,
    /// CPU time of the reader, in seconds.
    pub cpu_seconds: u64,
    /// How long the reader may stay silent while we wait for it.
    pub idle_timeout: Duration,
    /// Readers that may run at once in this process (each may use `memory_mb`); a file
    /// that finds them all busy waits up to `queue_timeout`, then is refused.
    pub max_readers: usize,
    pub queue_timeout: Duration,
}

impl Default for ChildLimits {
    fn default() -> Self {
        ChildLimits {
            program: None,
            memory_mb: 1024,
            cpu_seconds: 300,
            idle_timeout: Duration::from_secs(120),
            max_readers: 2,
            queue_timeout: Duration::from_secs(60),
        }
    }
}

/// How to read one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    pub limits: ReadLimits,
    pub isolation: Isolation,
}

impl Default for ReadOptions {
    /// Default limits, parsed in a child process of the running executable.
    fn default() -> Self {
        ReadOptions { limits: ReadLimits::default(), isolation: Isolation::Child(ChildLimits::default()) }
    }
}

impl ReadOptions {
    /// Default limits, parsed in this process (for trusted files).
    pub fn in_process() -> Self {
        ReadOptions { limits: ReadLimits::default(), isolation: Isolation::InProcess }
    }
}

//! Checks on a container before any spreadsheet parser sees it.
//!
//! `.xlsx`: the zip's entry count (from its end record, before the zip library allocates
//! for it), the declared sizes and compression ratios, then every part unpacked once with
//! its actual size capped (declared sizes can lie) and scanned for what the parser will
//! act on: rows and cells of worksheets, the shared-string count it reserves memory for,
//! the declared dimension. `.xls`: the compound-file header, DIFAT, FAT, directory and
//! each stream's sector chain, refusing loops, sectors outside the file and chains longer
//! than the file. Each refusal is a `ReadError` that says what is wrong and what to do.

use std::fmt::Display;
use std::io::{self, Read, Seek, SeekFrom};

use crate::limits::ReadLimits;
use crate::read::{Format, ReadError};

const MIB: u64 = 1 << 20;
/// Excel's own sheet bounds.
const EXCEL_ROWS: u64 = 1_048_576;
const EXCEL_COLUMNS: u64 = 16_384;

fn mb(bytes: u64) -> u64 {
    bytes.div_ceil(MIB)
}

/// A file built to break the reader, or broken badly enough to look like one.
pub(crate) fn suspicious(what: impl Display) -> ReadError {
    ReadError::Refused(format!(
        "{what}，疑似损坏或恶意构造的文件，未导入任何数据。请在Excel中打开后“另存为”Excel工作簿（.xlsx）再导入"
    ))
}

fn corrupt(format: Format, e: impl Display) -> ReadError {
    ReadError::Corrupt { format: format.label(), detail: e.to_string() }
}

fn too_large(limits: &ReadLimits) -> ReadError {
    ReadError::Refused(format!("文件超过{}MB，超过了读取上限，请拆分后分批导入", mb(limits.max_input_bytes)))
}

pub(crate) fn too_many_cells(limits: &ReadLimits) -> ReadError {
    ReadError::Refused(format!(
        "工作表中的单元格超过{}个，超过了一次导入的上限。请删除无关的行和列，或把文件拆分后分批导入",
        limits.max_cells
    ))
}

// ---------------------------------------------------------------------------------------
// .xlsx

/// The entry count that the zip's end record declares (zip64 included), if it has one.
fn declared_entries<R: Read + Seek>(r: &mut R) -> io::Result<Option<u64>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let len = r.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65_535 + 20);
    r.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0; tail_len as usize];
    r.read_exact(&mut tail)?;
    let Some(pos) = memchr::memmem::rfind(&tail, EOCD) else { return Ok(None) };
    let Some(e) = tail.get(pos..pos + 22) else { return Ok(None) };
    let entries = u64::from(u16::from_le_bytes([e[10], e[11]]));
    if entries != 0xFFFF || pos < 20 || &tail[pos - 20..pos - 16] != b"PK\x06\x07" {
        return Ok(Some(entries));
    }
    // Zip64: the locator points at the zip64 end record, which has the real count.
    let loc = &tail[pos - 20..pos];
    let mut off = [0u8; 8];
    off.copy_from_slice(&loc[8..16]);
    let off = u64::from_le_bytes(off);
    if off.saturating_add(56) > len {
        return Ok(Some(u64::MAX));
    }
    r.seek(SeekFrom::Start(off))?;
    let mut rec = [0u8; 56];
    r.read_exact(&mut rec)?;
    if &rec[..4] != b"PK\x06\x06" {
        return Ok(Some(u64::MAX));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&rec[32..40]);
    Ok(Some(u64::from_le_bytes(n)))
}

fn io_corrupt(e: io::Error) -> ReadError {
    corrupt(Format::Xlsx, e)
}

/// Checks an `.xlsx` container; leaves the reader anywhere.
pub(crate) fn check_xlsx<R: Read + Seek>(mut r: R, limits: &ReadLimits) -> Result<(), ReadError> {
    let len = r.seek(SeekFrom::End(0)).map_err(io_corrupt)?;
    if len > limits.max_input_bytes {
        return Err(too_large(limits));
    }
    if let Some(n) = declared_entries(&mut r).map_err(io_corrupt)?
        && n > limits.max_zip_entries
    {
        return Err(suspicious(format!(
            "文件内部声明有{n}个部件，远超正常的Excel文件（上限{}个）",
            limits.max_zip_entries
        )));
    }
    r.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    let mut zip = zip::ZipArchive::new(r).map_err(|e| corrupt(Format::Xlsx, e))?;
    if zip.len() as u64 > limits.max_zip_entries {
        return Err(suspicious(format!(
            "文件内部有{}个部件，远超正常的Excel文件（上限{}个）",
            zip.len(),
            limits.max_zip_entries
        )));
    }
    let mut declared_total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| corrupt(Format::Xlsx, e))?;
        let (size, packed) = (f.size(), f.compressed_size());
        declared_total = declared_total.saturating_add(size);
        if size > MIB && size / packed.max(1) > limits.max_ratio {
            return Err(ratio_error(&f.name().unwrap_or_default(), size / packed.max(1), limits));
        }
    }
    if declared_total > limits.max_unpacked_bytes {
        return Err(unpacked_error(declared_total, limits));
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| corrupt(Format::Xlsx, e))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        let (declared, packed) = (f.size(), f.compressed_size().max(1));
        let mut scan = XmlScan::default();
        let mut n = 0u64;
        loop {
            let k = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The zip library stops at the declared size too.
                Err(e) if e.to_string().contains("declared uncompressed size") => return Err(lying(&name, declared)),
                Err(e) => return Err(io_corrupt(e)),
            };
            n += k as u64;
            total += k as u64;
            if n > declared {
                return Err(lying(&name, declared));
            }
            if total > limits.max_unpacked_bytes {
                return Err(unpacked_error(total, limits));
            }
            if n > MIB && n / packed > limits.max_ratio {
                return Err(ratio_error(&name, n / packed, limits));
            }
            scan.feed(&buf[..k]);
            if !scan.is_worksheet() && n > limits.max_part_bytes {
                return Err(suspicious(format!(
                    "文件中的部件“{name}”解压后超过{}MB（上限{}MB）",
                    mb(n),
                    mb(limits.max_part_bytes)
                )));
            }
            scan.check(&name, declared, limits)?;
        }
        scan.finish(&name)?;
    }
    Ok(())
}

fn lying(name: &str, declared: u64) -> ReadError {
    suspicious(format!("文件中的部件“{name}”实际解压后的大小超过了它声明的大小（{declared}字节）"))
}

fn ratio_error(name: &str, ratio: u64, limits: &ReadLimits) -> ReadError {
    suspicious(format!(
        "文件中的部件“{name}”压缩比异常（解压后是压缩时的{ratio}倍，上限{}倍），像是“压缩炸弹”",
        limits.max_ratio
    ))
}

fn unpacked_error(bytes: u64, limits: &ReadLimits) -> ReadError {
    suspicious(format!("文件解压后超过{}MB（上限{}MB）", mb(bytes), mb(limits.max_unpacked_bytes)))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Text,
    /// After `<`: the element name.
    Name,
    /// Inside a start tag, after its name; `Some(q)` inside a quoted value.
    Attrs(Option<u8>),
    /// A closing tag, comment, declaration or processing instruction.
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Sst,
    Dimension,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Worksheet,
    Other,
}

/// Counts what a part holds, as a streaming scan over its bytes (no XML parser: it must
/// not be one more thing a file can break). It only over-counts (a `<row` inside a
/// comment counts), which can only refuse a crafted file.
#[derive(Debug, Default)]
pub(crate) struct XmlScan {
    state: State,
    name: Vec<u8>,
    name_overflow: bool,
    capture: Option<Capture>,
    attrs: Vec<u8>,
    root: Option<Root>,
    pub(crate) rows: u64,
    pub(crate) cells: u64,
    pub(crate) si: u64,
    pub(crate) unique_count: Option<u64>,
    pub(crate) count: Option<u64>,
    sst_seen: bool,
    dimension: Option<Vec<u8>>,
}

const NAME_CAP: usize = 48;
const ATTR_CAP: usize = 4096;

impl XmlScan {
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        let mut i = 0;
        while i < chunk.len() {
            match self.state {
                State::Text | State::Skip => {
                    let want = if self.state == State::Text { b'<' } else { b'>' };
                    match memchr::memchr(want, &chunk[i..]) {
                        Some(p) => {
                            i += p + 1;
                            if self.state == State::Text {
                                self.state = State::Name;
                                self.name.clear();
                                self.name_overflow = false;
                            } else {
                                self.state = State::Text;
                            }
                        }
                        None => break,
                    }
                }
                State::Name => {
                    let b = chunk[i];
                    i += 1;
                    if self.name.is_empty() && !self.name_overflow && matches!(b, b'/' | b'!' | b'?') {
                        self.state = State::Skip;
                    } else if b == b'>' || b == b'/' || b.is_ascii_whitespace() {
                        self.end_name();
                        if b == b'>' {
                            self.end_tag();
                            self.state = State::Text;
                        } else {
                            self.state = State::Attrs(None);
                        }
                    } else if self.name.len() < NAME_CAP {
                        self.name.push(b);
                    } else {
                        self.name_overflow = true;
                    }
                }
                State::Attrs(quote) => {
                    let rest = &chunk[i..];
                    let stop = match quote {
                        Some(q) => memchr::memchr(q, rest),
                        None => memchr::memchr3(b'>', b'"', b'\'', rest),
                    };
                    let Some(p) = stop else {
                        self.keep_attrs(rest);
                        break;
                    };
                    let b = rest[p];
                    self.keep_attrs(&rest[..=p]);
                    i += p + 1;
                    self.state = match (quote, b) {
                        (Some(_), _) => State::Attrs(None),
                        (None, b'>') => {
                            self.end_tag();
                            State::Text
                        }
                        (None, q) => State::Attrs(Some(q)),
                    };
                }
            }
        }
    }

    fn keep_attrs(&mut self, bytes: &[u8]) {
        if self.capture.is_some() && self.attrs.len() < ATTR_CAP {
            let room = ATTR_CAP - self.attrs.len();
            self.attrs.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    fn end_name(&mut self) {
        let local = if self.name_overflow {
            &[][..]
        } else {
            match memchr::memrchr(b':', &self.name) {
                Some(p) => &self.name[p + 1..],
                None => &self.name[..],
            }
        };
        if self.root.is_none() {
            self.root = Some(if local == b"worksheet" { Root::Worksheet } else { Root::Other });
        }
        self.capture = None;
        match local {
            b"row" => self.rows += 1,
            b"c" => self.cells += 1,
            b"si" => self.si += 1,
            b"sst" if !self.sst_seen => {
                self.sst_seen = true;
                self.capture = Some(Capture::Sst);
            }
            b"dimension" if self.dimension.is_none() => self.capture = Some(Capture::Dimension),
            _ => {}
        }
        self.attrs.clear();
    }

    fn end_tag(&mut self) {
        match self.capture.take() {
            Some(Capture::Sst) => {
                for (k, v) in attributes(&self.attrs) {
                    let slot = match k {
                        b"uniqueCount" => &mut self.unique_count,
                        b"count" => &mut self.count,
                        _ => continue,
                    };
                    // Any value the parser could take is kept; the largest one counts.
                    let n = parse_count(v).unwrap_or(0);
                    *slot = Some(slot.unwrap_or(0).max(n));
                }
            }
            Some(Capture::Dimension) => {
                let r = attributes(&self.attrs).find(|(k, _)| *k == b"ref").map(|(_, v)| v.to_vec());
                self.dimension = Some(r.unwrap_or_default());
            }
            None => {}
        }
    }

    fn is_worksheet(&self) -> bool {
        self.root == Some(Root::Worksheet)
    }

    /// Checks while the part is still being unpacked.
    fn check(&self, name: &str, declared: u64, limits: &ReadLimits) -> Result<(), ReadError> {
        if self.rows > limits.file_rows() {
            return Err(ReadError::TooManyRows { limit: limits.max_rows });
        }
        if self.cells > limits.max_cells {
            return Err(too_many_cells(limits));
        }
        // Each shared string takes at least `<si/>`: five bytes.
        if let Some(n) = self.unique_count
            && n > declared / 5 + 1
        {
            return Err(shared_strings_error(name, n, None));
        }
        if let Some(n) = self.count
            && n > limits.max_cells.saturating_mul(2)
        {
            return Err(shared_strings_error(name, n, None));
        }
        Ok(())
    }

    /// Checks once the part is unpacked whole.
    fn finish(&self, name: &str) -> Result<(), ReadError> {
        if let Some(n) = self.unique_count
            && n > self.si.saturating_add(1024)
        {
            return Err(shared_strings_error(name, n, Some(self.si)));
        }
        if let Some(d) = &self.dimension
            && let Some(last) = d.rsplit(|b| *b == b':').next()
            && let Some((col, row)) = cell_ref(last)
            && (row > EXCEL_ROWS || col > EXCEL_COLUMNS)
        {
            return Err(suspicious(format!(
                "工作表声明的范围“{}”超出了Excel的行列上限",
                String::from_utf8_lossy(&d[..d.len().min(40)])
            )));
        }
        Ok(())
    }
}

fn shared_strings_error(name: &str, declared: u64, actual: Option<u64>) -> ReadError {
    let detail = match actual {
        Some(a) => format!("声明{declared}个，实际只有{a}个"),
        None => format!("声明{declared}个，文件大小容纳不下"),
    };
    suspicious(format!("文件中的共享字符串数量声明异常（部件“{name}”{detail}）"))
}

/// `name="value"` pairs of a start tag's remainder, names without their prefix.
fn attributes(b: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
                i += 1;
            }
            let name = &b[start..i];
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if name.is_empty() || i >= b.len() || b[i] != b'=' {
                return None;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let q = *b.get(i)?;
            if q != b'"' && q != b'\'' {
                return None;
            }
            let vs = i + 1;
            let ve = vs + memchr::memchr(q, &b[vs..])?;
            i = ve + 1;
            let local = match memchr::memrchr(b':', name) {
                Some(p) => &name[p + 1..],
                None => name,
            };
            if !local.is_empty() {
                return Some((local, &b[vs..ve]));
            }
        }
    })
}

/// A count as the parser reads it: leading zeros skipped, digits only; saturates.
fn parse_count(v: &[u8]) -> Option<u64> {
    let digits = v.iter().position(|b| *b != b'0').map_or(&v[v.len()..], |p| &v[p..]);
    if !v.is_empty() && digits.is_empty() {
        return Some(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
}

/// `XFD1048576` → (column, row), 1-based.
fn cell_ref(r: &[u8]) -> Option<(u64, u64)> {
    let r: Vec<u8> = r.iter().copied().filter(|b| *b != b'$').collect();
    let split = r.iter().position(u8::is_ascii_digit)?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || letters.len() > 8 || !letters.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let col = letters.iter().fold(0u64, |n, c| n * 26 + u64::from(c.to_ascii_uppercase() - b'A' + 1));
    Some((col, parse_count(digits)?))
}

// ---------------------------------------------------------------------------------------
// .xls (compound file binary)

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const MINI_CUTOFF: u64 = 4096;
/// Streams the spreadsheet library reads, by name (`Xls::new`).
const READ_STREAMS: [&str; 4] = ["Workbook", "Book", "\u{5}SummaryInformation", "\u{5}DocumentSummaryInformation"];

fn cfb_error(detail: impl Display) -> ReadError {
    suspicious(format!("文件内部结构（复合文档）异常：{detail}"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

fn u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

struct Cfb<'a> {
    data: &'a [u8],
    sector: usize,
    /// Sectors after the header.
    count: usize,
}

impl Cfb<'_> {
    fn sector(&self, id: u32) -> &[u8] {
        let start = self.sector.saturating_mul(id as usize + 1).min(self.data.len());
        let end = start.saturating_add(self.sector).min(self.data.len());
        &self.data[start..end]
    }

    /// Follows a chain as the parser does: until the end marker, or until `len` bytes
    /// are covered. Refuses loops, sectors outside `limit` or `table`, and returns the
    /// sectors visited.
    fn walk(
        &self,
        start: u32,
        table: &[u32],
        limit: usize,
        unit: u64,
        len: Option<u64>,
        what: &str,
    ) -> Result<Vec<u32>, ReadError> {
        let mut seen = vec![false; limit];
        let mut chain = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            let i = id as usize;
            if i >= limit {
                return Err(cfb_error(format_args!("{what}的扇区编号{id}超出了文件范围")));
            }
            if seen[i] {
                return Err(cfb_error(format_args!("{what}的扇区链出现循环")));
            }
            seen[i] = true;
            chain.push(id);
            if len.is_some_and(|l| chain.len() as u64 * unit >= l) {
                break;
            }
            id = *table.get(i).ok_or_else(|| cfb_error(format_args!("{what}的扇区{id}不在分配表中")))?;
        }
        Ok(chain)
    }

    fn bytes(&self, chain: &[u32]) -> Vec<u8> {
        chain.iter().flat_map(|id| self.sector(*id).iter().copied()).collect()
    }
}

/// Checks an `.xls` (compound file) the way the parser will walk it.
pub(crate) fn check_xls(data: &[u8], limits: &ReadLimits) -> Result<(), ReadError> {
    if data.len() as u64 > limits.max_input_bytes {
        return Err(too_large(limits));
    }
    if data.len() < 512 {
        return Ok(()); // the parser refuses it cleanly
    }
    let sector = match u16_at(data, 30) {
        9 => 512,
        12 => 4096,
        _ => return Ok(()), // refused cleanly by the parser
    };
    if u16_at(data, 32) != 6 || data.len() < sector {
        return Ok(());
    }
    let cfb = Cfb { data, sector, count: (data.len() - sector).div_ceil(sector) };
    // DIFAT: 109 entries in the header, then a chain whose last entry links on.
    let mut difat: Vec<u32> = u32s(&data[76..512]).collect();
    let mut id = u32_at(data, 68);
    let mut seen = vec![false; cfb.count];
    while id < RESERVED_SECTORS {
        let i = id as usize;
        if i >= cfb.count {
            return Err(cfb_error(format_args!("DIFAT的扇区编号{id}超出了文件范围")));
        }
        if seen[i] {
            return Err(cfb_error("DIFAT的扇区链出现循环"));
        }
        seen[i] = true;
        difat.extend(u32s(cfb.sector(id)));
        id = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() > cfb.count {
        return Err(cfb_error("分配表（FAT）的扇区数超过了文件所能容纳的数量"));
    }
    if let Some(bad) = fat_sectors.iter().find(|id| **id as usize >= cfb.count) {
        return Err(cfb_error(format_args!("分配表（FAT）的扇区编号{bad}超出了文件范围")));
    }
    let fat: Vec<u32> = fat_sectors.iter().flat_map(|id| u32s(cfb.sector(*id)).collect::<Vec<_>>()).collect();
    let unit = sector as u64;
    let dir_chain = cfb.walk(u32_at(data, 48), &fat, cfb.count, unit, None, "目录")?;
    let dirs = cfb.bytes(&dir_chain);
    let entries: Vec<&[u8]> = dirs.chunks_exact(128).collect();
    let Some(root) = entries.first() else { return Ok(()) };
    let entry_len = |e: &[u8]| if sector == 512 { u64::from(u32_at(e, 120)) } else { u64_at(e, 120) };
    let file_len = data.len() as u64;
    // The mini stream (small streams live in it), read when a mini FAT is declared.
    let mini_fat_sectors = u64::from(u32_at(data, 64));
    let (mini_fat, mini_len) = if mini_fat_sectors > 0 {
        let root_len = entry_len(root);
        if root_len > file_len || mini_fat_sectors.saturating_mul(unit) > file_len {
            return Err(cfb_error("小数据流的声明大小超过了文件本身"));
        }
        let ministream = cfb.walk(u32_at(root, 116), &fat, cfb.count, unit, Some(root_len), "小数据流")?;
        let mini_fat_chain =
            cfb.walk(u32_at(data, 60), &fat, cfb.count, unit, Some(mini_fat_sectors * unit), "小分配表")?;
        let mini_fat: Vec<u32> = u32s(&cfb.bytes(&mini_fat_chain)).collect();
        (mini_fat, root_len.min(ministream.len() as u64 * unit))
    } else {
        (Vec::new(), 0)
    };
    // The streams the parser reads, each found as it finds them: the first entry by name.
    let name_of = |e: &[u8]| {
        let units: Vec<u16> = e[..64].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        let s = String::from_utf16_lossy(&units);
        s.split('\0').next().unwrap_or_default().to_owned()
    };
    for wanted in READ_STREAMS {
        let Some(e) = entries.iter().find(|e| name_of(e).eq_ignore_ascii_case(wanted)) else { continue };
        let len = entry_len(e);
        if len > file_len {
            return Err(cfb_error(format_args!("数据流“{wanted}”声明的大小超过了文件本身")));
        }
        let what = format!("数据流“{}”", wanted.trim_start_matches('\u{5}'));
        if len < MINI_CUTOFF {
            cfb.walk(u32_at(e, 116), &mini_fat, mini_len.div_ceil(64) as usize, 64, Some(len), &what)?;
        } else {
            cfb.walk(u32_at(e, 116), &fat, cfb.count, unit, Some(len), &what)?;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use std::io::{Cursor, Write};

    /// A minimal workbook: one sheet whose XML is `sheet`, shared strings `sst`.
    pub(crate) fn mini_xlsx(sheet: &[u8], sst: Option<&[u8]>) -> Vec<u8> {
        let mut parts: Vec<(&str, Vec<u8>)> = vec![
            (
                "[Content_Types].xml",
                br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec(),
            ),
            (
                "_rels/.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
            ),
            (
                "xl/workbook.xml",
                br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_vec(),
            ),
            ("xl/worksheets/sheet1.xml", sheet.to_vec()),
        ];
        if let Some(sst) = sst {
            parts.push(("xl/sharedStrings.xml", sst.to_vec()));
        }
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in parts {
            w.start_file(name, opts).expect("entry");
            w.write_all(&data).expect("write");
        }
        w.finish().expect("zip").into_inner()
    }

    pub(crate) fn sheet_xml(rows: &[&[&str]]) -> Vec<u8> {
        let mut x = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (r, row) in rows.iter().enumerate() {
            x.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, v) in row.iter().enumerate() {
                let col = char::from(b'A' + c as u8);
                x.push_str(&format!(r#"<c r="{col}{}" t="inlineStr"><is><t>{v}</t></is></c>"#, r + 1));
            }
            x.push_str("</row>");
        }
        x.push_str("</sheetData></worksheet>");
        x.into_bytes()
    }

    /// Rewrites the uncompressed size that the local and central headers of `name` declare.
    pub(crate) fn declare_size(zip: &mut [u8], name: &str, size: u32) {
        let mut i = 0;
        while let Some(p) = memchr::memmem::find(&zip[i..], name.as_bytes()) {
            let at = i + p;
            if at >= 46 && zip[at - 46..at - 42] == *b"PK\x01\x02" {
                zip[at - 46 + 24..at - 46 + 28].copy_from_slice(&size.to_le_bytes());
            } else if at >= 30 && zip[at - 30..at - 26] == *b"PK\x03\x04" {
                zip[at - 30 + 22..at - 30 + 26].copy_from_slice(&size.to_le_bytes());
            }
            i = at + 1;
        }
    }

    fn xlsx_check(bytes: &[u8], limits: &ReadLimits) -> Result<(), ReadError> {
        check_xlsx(Cursor::new(bytes), limits)
    }

    #[test]
    fn a_plain_workbook_passes_and_each_xlsx_bomb_is_refused() {
        let limits = ReadLimits::default();
        let ok = mini_xlsx(&sheet_xml(&[&["姓名", "身份证号"], &["张三", "1"]]), None);
        assert_eq!(xlsx_check(&ok, &limits), Ok(()));
        // The shared-string count the parser reserves memory for.
        let sheet = br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#;
        let bomb = mini_xlsx(sheet, Some(br#"<sst count="1" uniqueCount="1000000000000"><si><t>a</t></si></sst>"#));
        let e = xlsx_check(&bomb, &limits).unwrap_err().to_string();
        assert!(e.contains("共享字符串数量声明异常") && e.contains("另存为"), "{e}");
        // A part that inflates far beyond its packed size.
        let mut big = b"<sst><si><t>x</t></si>".to_vec();
        big.resize(5 << 20, b' ');
        big.extend_from_slice(b"</sst>");
        let packed = mini_xlsx(sheet, Some(&big));
        let e = xlsx_check(&packed, &limits).unwrap_err().to_string();
        assert!(e.contains("压缩比异常"), "{e} {}", packed.len());
        // The same part, declared small: its actual size is what counts.
        let mut lying = mini_xlsx(sheet, Some(&big));
        declare_size(&mut lying, "xl/sharedStrings.xml", 1000);
        let loose = ReadLimits { max_ratio: u64::MAX, ..ReadLimits::default() };
        let e = xlsx_check(&lying, &loose).unwrap_err().to_string();
        assert!(e.contains("超过了它声明的大小"), "{e}");
        // Declared sizes beyond the total.
        let mut huge = ok.clone();
        declare_size(&mut huge, "xl/worksheets/sheet1.xml", 0xFFFF_FF00);
        let e = xlsx_check(&huge, &limits).unwrap_err().to_string();
        assert!(e.contains("压缩比异常") || e.contains("解压后超过"), "{e}");
        let e = xlsx_check(&huge, &loose).unwrap_err().to_string();
        assert!(e.contains("解压后超过"), "{e}");
        // Part limits, rows, cells, entries.
        let tight = ReadLimits { max_part_bytes: 1000, max_ratio: u64::MAX, ..ReadLimits::default() };
        assert!(xlsx_check(&mini_xlsx(sheet, Some(&big)), &tight).unwrap_err().to_string().contains("解压后超过"));
        let rows: Vec<&[&str]> = vec![&["a"]; 6];
        let six = mini_xlsx(&sheet_xml(&rows), None);
        let rows = |n| ReadLimits { extra_rows: 0, ..ReadLimits::with_rows(n) };
        assert_eq!(xlsx_check(&six, &rows(5)), Err(ReadError::TooManyRows { limit: 5 }));
        assert_eq!(xlsx_check(&six, &rows(6)), Ok(()));
        assert_eq!(xlsx_check(&six, &ReadLimits { extra_rows: 1, ..rows(5) }), Ok(()));
        let few_cells = ReadLimits { max_cells: 3, ..ReadLimits::default() };
        assert!(xlsx_check(&six, &few_cells).unwrap_err().to_string().contains("单元格超过3个"));
        let few_parts = ReadLimits { max_zip_entries: 4, ..ReadLimits::default() };
        assert!(xlsx_check(&six, &few_parts).unwrap_err().to_string().contains("部件"));
    }

    #[test]
    fn a_zip_end_record_declaring_millions_of_entries_is_refused_before_the_zip_library_reads_it() {
        let mut z = mini_xlsx(&sheet_xml(&[&["a"]]), None);
        let at = memchr::memmem::rfind(&z, b"PK\x05\x06").expect("end record");
        z[at + 8..at + 12].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        let e = xlsx_check(&z, &ReadLimits::default()).unwrap_err().to_string();
        assert!(e.contains("65535个部件"), "{e}");
    }

    const FREESECT: u32 = 0xFFFF_FFFF;
    const FATSECT: u32 = 0xFFFF_FFFD;

    /// A compound file of 512-byte sectors: `fat` (one FAT sector, sector 0), the
    /// directory in sector 1, streams after it.
    fn cfb(fat: &[u32], dirs: &[(&str, u8, u32, u32)], extra_sectors: usize, difat_start: u32) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        h[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
        h[26..28].copy_from_slice(&3u16.to_le_bytes());
        h[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
        h[30..32].copy_from_slice(&9u16.to_le_bytes());
        h[32..34].copy_from_slice(&6u16.to_le_bytes());
        h[44..48].copy_from_slice(&1u32.to_le_bytes());
        h[48..52].copy_from_slice(&1u32.to_le_bytes());
        h[56..60].copy_from_slice(&4096u32.to_le_bytes());
        h[60..64].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
        h[68..72].copy_from_slice(&difat_start.to_le_bytes());
        for i in 0..109 {
            let v = if i == 0 { 0 } else { FREESECT };
            h[76 + i * 4..80 + i * 4].copy_from_slice(&v.to_le_bytes());
        }
        let mut fat_sector = vec![0xFFu8; 512];
        for (i, v) in fat.iter().enumerate() {
            fat_sector[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        let mut dir = vec![0u8; 512];
        for (i, (name, kind, start, len)) in dirs.iter().enumerate() {
            let e = &mut dir[i * 128..(i + 1) * 128];
            let units: Vec<u16> = name.encode_utf16().collect();
            for (j, u) in units.iter().enumerate() {
                e[j * 2..j * 2 + 2].copy_from_slice(&u.to_le_bytes());
            }
            e[64..66].copy_from_slice(&(((units.len() + 1) * 2) as u16).to_le_bytes());
            e[66] = *kind;
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&len.to_le_bytes());
        }
        let mut out = h;
        out.extend(fat_sector);
        out.extend(dir);
        out.extend(vec![0u8; 512 * extra_sectors]);
        out
    }

    #[test]
    fn compound_file_chains_are_walked_and_loops_refused() {
        let limits = ReadLimits::default();
        let real = include_bytes!("../../cli/tests/fixtures/roster.xls");
        assert_eq!(check_xls(real, &limits), Ok(()));
        let dirs = [("Root Entry", 5, ENDOFCHAIN, 0), ("Workbook", 2, 2, 5000)];
        // Sectors 2..11 hold the 5,000-byte stream.
        let mut fat = vec![FATSECT, ENDOFCHAIN];
        fat.extend(3..12);
        fat.push(ENDOFCHAIN);
        assert_eq!(check_xls(&cfb(&fat, &dirs, 10, ENDOFCHAIN), &limits), Ok(()));
        let refused = |fat: &[u32], dirs: &[(&str, u8, u32, u32)], difat: u32| {
            check_xls(&cfb(fat, dirs, 10, difat), &limits).unwrap_err().to_string()
        };
        // The directory chain loops on itself.
        let mut looped = fat.clone();
        looped[1] = 1;
        assert!(refused(&looped, &dirs, ENDOFCHAIN).contains("目录的扇区链出现循环"));
        // The stream's chain loops back.
        let mut looped = fat.clone();
        looped[6] = 3;
        assert!(refused(&looped, &dirs, ENDOFCHAIN).contains("Workbook”的扇区链出现循环"));
        // A sector beyond the file.
        let mut outside = fat.clone();
        outside[4] = 5000;
        assert!(refused(&outside, &dirs, ENDOFCHAIN).contains("超出了文件范围"));
        // A stream larger than the file.
        let big = [("Root Entry", 5, ENDOFCHAIN, 0), ("Workbook", 2, 2, 50_000_000)];
        assert!(refused(&fat, &big, ENDOFCHAIN).contains("超过了文件本身"));
        // A DIFAT chain that loops (sector 2 links to itself).
        let mut x = cfb(&fat, &dirs, 10, 2);
        let s2 = 512 * 3;
        x[s2 + 508..s2 + 512].copy_from_slice(&2u32.to_le_bytes());
        assert!(check_xls(&x, &limits).unwrap_err().to_string().contains("DIFAT的扇区链出现循环"));
    }

    #[test]
    fn the_scan_counts_rows_cells_and_shared_strings_across_chunks() {
        let xml = br#"<?xml version="1.0"?><x:worksheet><dimension ref="A1:C3"/><sheetData><x:row r="1"><c r="A1" t="s"><v>0</v></c></x:row><row r="2"><c a=">" r="B2"/></row><!-- <row> --></sheetData></x:worksheet>"#;
        for size in [1, 2, 3, 7, 64, xml.len()] {
            let mut s = XmlScan::default();
            for chunk in xml.chunks(size) {
                s.feed(chunk);
            }
            assert_eq!((s.rows, s.cells), (2, 2), "chunk size {size}");
            assert!(s.is_worksheet());
            assert_eq!(s.dimension.as_deref(), Some(&b"A1:C3"[..]));
        }
        let sst = br#"<sst xmlns="x" count = '7' uniqueCount="0003"><si><t>a</t></si><si/><si><t>c</t></si></sst>"#;
        let mut s = XmlScan::default();
        for chunk in sst.chunks(5) {
            s.feed(chunk);
        }
        assert_eq!((s.unique_count, s.count, s.si), (Some(3), Some(7), 3));
        assert!(!s.is_worksheet());
    }

    #[test]
    fn counts_parse_as_the_parser_reads_them() {
        assert_eq!(parse_count(b"0001000000000000"), Some(1_000_000_000_000));
        assert_eq!(parse_count(b"0"), Some(0));
        assert_eq!(parse_count(b"99999999999999999999999"), Some(u64::MAX));
        assert_eq!(parse_count(b"+5"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(cell_ref(b"XFD1048576"), Some((16_384, 1_048_576)));
        assert_eq!(cell_ref(b"$B$7"), Some((2, 7)));
    }

    #[test]
    fn a_shared_string_count_the_part_cannot_hold_is_refused() {
        let limits = ReadLimits::default();
        let mut s = XmlScan::default();
        s.feed(br#"<sst uniqueCount="1000000000000" count="1"><si><t>a</t></si>"#);
        let e = s.check("xl/sharedStrings.xml", 8000, &limits).unwrap_err();
        assert!(e.to_string().contains("共享字符串数量声明异常"), "{e}");
        // Declared within the size, but more than the part holds.
        let mut s = XmlScan::default();
        s.feed(br#"<sst uniqueCount="1500"><si><t>a</t></si></sst>"#);
        assert!(s.check("s", 10_000, &limits).is_ok());
        assert!(s.finish("s").unwrap_err().to_string().contains("实际只有1个"));
    }

    #[test]
    fn a_dimension_beyond_excel_is_refused() {
        let mut s = XmlScan::default();
        s.feed(br#"<worksheet><dimension ref="A1:XFE1"/></worksheet>"#);
        assert!(s.finish("sheet").is_err());
        let mut s = XmlScan::default();
        s.feed(br#"<worksheet><dimension ref="A1:XFD1048576"/></worksheet>"#);
        assert!(s.finish("sheet").is_ok());
    }
}

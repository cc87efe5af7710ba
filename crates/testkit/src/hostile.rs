//! Hostile files, generated (never checked in): each case of issue 11 that once took the
//! server down, and mutations of valid rosters for the fuzz loop.
//!
//! Large files are written once per machine into a cache folder in the system's temporary
//! directory (written under a temporary name, then renamed) and reused by later runs.

use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Bumped whenever a generator changes, so that stale cached files are not used.
const CACHE: &str = "xuepei-hostile-v1";

/// One hostile file and what its refusal must say (any one of `expect`).
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub file: PathBuf,
    pub expect: &'static [&'static str],
}

/// The reader memory (`[import] reader_memory_mb`) the last case is built to exceed.
pub const READER_MEMORY_MB: u64 = 256;

/// The cases of the issue, generated on first use: the shared-string count bomb, the
/// looping `.xls`, shared strings inflating to ~1 GB, a zip declaring huge sizes, an
/// `.xlsx` of 20 million rows, a CSV of 20 million lines; and a file that passes every
/// container check but whose parsing needs more than `READER_MEMORY_MB` (the reader
/// process is stopped by its own limit).
pub fn cases() -> Vec<Case> {
    let dir = std::env::temp_dir().join(CACHE);
    std::fs::create_dir_all(&dir).expect("cache folder");
    vec![
        Case {
            name: "共享字符串数量声明为1万亿（uniqueCount）",
            file: cached(&dir, "unique-count.xlsx", unique_count_bomb),
            expect: &["共享字符串数量声明异常"],
        },
        Case {
            name: "目录扇区链循环的.xls",
            file: cached(&dir, "looping-chain.xls", looping_xls),
            expect: &["复合文档"],
        },
        Case {
            name: "共享字符串解压后约1GB",
            file: cached(&dir, "shared-strings-1gb.xlsx", |w| shared_strings_bomb(w, 1 << 30)),
            expect: &["压缩比异常", "解压后超过"],
        },
        Case {
            name: "声明解压后约8GB的压缩包",
            file: cached(&dir, "declared-8gb.xlsx", declared_huge),
            expect: &["压缩比异常", "解压后超过"],
        },
        Case {
            name: "2000万行的.xlsx",
            file: cached(&dir, "rows-20m.xlsx", |w| many_rows_xlsx(w, 20_000_000)),
            expect: &["压缩比异常", "超过了一次导入的上限"],
        },
        Case {
            name: "2000万行、40MB的CSV",
            file: cached(&dir, "lines-20m.csv", |w| many_lines_csv(w, 20_000_000)),
            expect: &["超过了一次导入的上限"],
        },
        Case {
            name: "通过检查但解析需要内存超过读取进程上限",
            file: cached(&dir, "strings-12m.xlsx", |w| many_shared_strings(w, 12_000_000)),
            expect: &["内存超过了上限"],
        },
    ]
}

fn cached(dir: &Path, name: &str, make: impl FnOnce(&mut File)) -> PathBuf {
    let path = dir.join(name);
    if path.is_file() {
        return path;
    }
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    let mut f = File::create(&tmp).expect("create");
    make(&mut f);
    f.sync_all().expect("sync");
    std::fs::rename(&tmp, &path).expect("rename");
    path
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="人员" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";
const SST_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
/// The header row, as shared strings 0 and 1.
const HEADER_ROW: &str = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>"#;

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).compression_level(Some(9))
}

/// A workbook with one sheet; `sheet` and `sst` write the bodies of those parts.
fn workbook<W: Write + std::io::Seek>(
    out: W,
    sheet: impl FnOnce(&mut dyn Write),
    sst: impl FnOnce(&mut dyn Write),
) -> W {
    let mut z = ZipWriter::new(out);
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        z.start_file(name, deflated()).expect("entry");
        z.write_all(body.as_bytes()).expect("write");
    }
    z.start_file("xl/worksheets/sheet1.xml", deflated()).expect("entry");
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut z);
        sheet(&mut w);
        w.flush().expect("flush");
    }
    z.start_file("xl/sharedStrings.xml", deflated()).expect("entry");
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut z);
        sst(&mut w);
        w.flush().expect("flush");
    }
    z.finish().expect("zip")
}

fn put(w: &mut dyn Write, s: &str) {
    w.write_all(s.as_bytes()).expect("write");
}

/// `sharedStrings.xml` declares `uniqueCount="1000000000000"`: the library reserved
/// 24 TB for it and the process aborted.
pub fn unique_count_bomb(f: &mut File) {
    workbook(
        f,
        |w| {
            put(w, SHEET_HEAD);
            put(w, HEADER_ROW);
            put(w, SHEET_TAIL);
        },
        |w| {
            put(w, SST_HEAD);
            put(w, r#" count="2" uniqueCount="1000000000000"><si><t>姓名</t></si><si><t>身份证号</t></si></sst>"#);
        },
    );
}

/// A workbook whose shared strings inflate to `bytes` (one long string: ~1,000:1).
pub fn shared_strings_bomb(f: &mut File, bytes: u64) {
    workbook(
        f,
        |w| {
            put(w, SHEET_HEAD);
            put(w, HEADER_ROW);
            put(w, SHEET_TAIL);
        },
        |w| {
            put(w, SST_HEAD);
            put(w, r#" count="3" uniqueCount="3"><si><t>姓名</t></si><si><t>身份证号</t></si><si><t>"#);
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..bytes / chunk.len() as u64 {
                w.write_all(&chunk).expect("write");
            }
            put(w, "</t></si></sst>");
        },
    );
}

/// `count` distinct-looking short shared strings, honestly declared, packed at the
/// default level (below every ratio and size limit): the library reserves and fills a
/// `Vec<String>` of `count` entries, ~40 bytes each.
pub fn many_shared_strings(f: &mut File, count: u64) {
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut z = ZipWriter::new(f);
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        z.start_file(name, opts).expect("entry");
        z.write_all(body.as_bytes()).expect("write");
    }
    z.start_file("xl/worksheets/sheet1.xml", opts).expect("entry");
    z.write_all(format!("{SHEET_HEAD}{HEADER_ROW}{SHEET_TAIL}").as_bytes()).expect("write");
    z.start_file("xl/sharedStrings.xml", opts).expect("entry");
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut z);
        put(&mut w, SST_HEAD);
        put(&mut w, &format!(r#" count="{count}" uniqueCount="{count}"><si><t>姓名</t></si><si><t>身份证号</t></si>"#));
        for i in 2..count {
            write!(w, "<si><t>{}</t></si>", i % 100).expect("write");
        }
        put(&mut w, "</sst>");
        w.flush().expect("flush");
    }
    z.finish().expect("zip");
}

/// A sheet of `rows` rows after a valid header (~1,000 rows per KB packed).
pub fn many_rows_xlsx(f: &mut File, rows: u64) {
    workbook(
        f,
        |w| {
            put(w, SHEET_HEAD);
            put(w, HEADER_ROW);
            let row = r#"<row><c t="inlineStr"><is><t>张三</t></is></c></row>"#.repeat(1000);
            for _ in 0..rows / 1000 {
                put(w, &row);
            }
            put(w, SHEET_TAIL);
        },
        |w| {
            put(w, SST_HEAD);
            put(w, r#" count="2" uniqueCount="2"><si><t>姓名</t></si><si><t>身份证号</t></si></sst>"#);
        },
    );
}

/// A small valid workbook whose central directory and local headers declare each part at
/// almost 4 GB.
pub fn declared_huge(f: &mut File) {
    let mut bytes = workbook(
        Cursor::new(Vec::new()),
        |w| {
            put(w, SHEET_HEAD);
            put(w, HEADER_ROW);
            put(w, SHEET_TAIL);
        },
        |w| {
            put(w, SST_HEAD);
            put(w, r#" count="2" uniqueCount="2"><si><t>姓名</t></si><si><t>身份证号</t></si></sst>"#);
        },
    )
    .into_inner();
    for name in ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"] {
        declare_size(&mut bytes, name, 0xFFFF_FF00);
    }
    f.write_all(&bytes).expect("write");
}

/// Rewrites the uncompressed size that the local and central headers of `name` declare.
pub fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut i = 0;
    while let Some(p) = find(&zip[i..], name.as_bytes()) {
        let at = i + p;
        if at >= 46 && zip[at - 46..at - 42] == *b"PK\x01\x02" {
            zip[at - 46 + 24..at - 46 + 28].copy_from_slice(&size.to_le_bytes());
        } else if at >= 30 && zip[at - 30..at - 26] == *b"PK\x03\x04" {
            zip[at - 30 + 22..at - 30 + 26].copy_from_slice(&size.to_le_bytes());
        }
        i = at + 1;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A valid header, then `lines` lines of one cell: 2 bytes a line.
pub fn many_lines_csv(f: &mut File, lines: u64) {
    let mut w = BufWriter::with_capacity(1 << 20, f);
    w.write_all("姓名,身份证号\n".as_bytes()).expect("write");
    let chunk = "1\n".repeat(100_000);
    for _ in 0..lines / 100_000 {
        w.write_all(chunk.as_bytes()).expect("write");
    }
    w.flush().expect("flush");
}

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;
const FATSECT: u32 = 0xFFFF_FFFD;

/// A compound file (`.xls`) whose directory sector chains to itself: the library
/// followed it for ever, growing memory (6 GB in 3 s).
pub fn looping_xls(f: &mut File) {
    let mut h = vec![0u8; 512];
    h[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    h[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
    h[26..28].copy_from_slice(&3u16.to_le_bytes());
    h[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    h[30..32].copy_from_slice(&9u16.to_le_bytes());
    h[32..34].copy_from_slice(&6u16.to_le_bytes());
    h[44..48].copy_from_slice(&1u32.to_le_bytes()); // one FAT sector
    h[48..52].copy_from_slice(&1u32.to_le_bytes()); // directory in sector 1
    h[56..60].copy_from_slice(&4096u32.to_le_bytes());
    h[60..64].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
    h[68..72].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
    for i in 0..109 {
        let v = if i == 0 { 0 } else { FREESECT };
        h[76 + i * 4..80 + i * 4].copy_from_slice(&v.to_le_bytes());
    }
    // FAT: sector 0 is the FAT, sector 1 (the directory) links to itself, 2..11 hold the
    // workbook stream.
    let mut fat = vec![0xFFu8; 512];
    let mut entries = vec![FATSECT, 1];
    entries.extend(3..12);
    entries.push(ENDOFCHAIN);
    for (i, v) in entries.iter().enumerate() {
        fat[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    let mut dir = vec![0u8; 512];
    for (i, (name, kind, start, len)) in
        [("Root Entry", 5u8, ENDOFCHAIN, 0u32), ("Workbook", 2, 2, 5000)].iter().enumerate()
    {
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
    // A BIFF8 BOF record at the start of the stream, then zeros.
    let mut stream = vec![0u8; 512 * 10];
    stream[..4].copy_from_slice(&[0x09, 0x08, 0x10, 0x00]);
    stream[4..6].copy_from_slice(&0x0600u16.to_le_bytes());
    stream[6..8].copy_from_slice(&0x0005u16.to_le_bytes());
    for part in [h, fat, dir, stream] {
        f.write_all(&part).expect("write");
    }
}

/// A small deterministic generator (xorshift), for reproducible mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// In `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that tend to break parsers of counts, sizes and sector numbers.
const INTERESTING_U32: [u32; 10] =
    [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFA, 0xFFFF_FFFE, 0xFFFF_FFFF, 1_048_577];

/// Text that tends to break spreadsheet XML readers.
const INTERESTING_XML: [&str; 14] = [
    r#"<row r="1048577">"#,
    r#"<row r="4294967296">"#,
    r#" uniqueCount="4294967295""#,
    r#" uniqueCount="99999999999999""#,
    r#"<c r="XFD1048576" t="s"><v>4294967295</v></c>"#,
    r#"<c r="A1" t="s"><v>-1</v></c>"#,
    r#"<dimension ref="A1:XFD1048576"/>"#,
    "<si><t>",
    "</si>",
    "&#0;&#xFFFF;&amp;&",
    "<![CDATA[",
    r#"<c r="A1" t="inlineStr"><is><t>"#,
    "<f>SUM(A1:XFD1048576)</f>",
    "<?xml?><!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
];

/// One mutation of a valid roster; says what it did.
pub fn mutate(rng: &mut Rng, input: &[u8]) -> (Vec<u8>, String) {
    if input.is_empty() {
        return (Vec::new(), "empty".into());
    }
    let is_zip = input.starts_with(b"PK\x03\x04");
    let is_cfb = input.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    match rng.below(if is_zip { 9 } else { 7 }) {
        0 => {
            let mut v = input.to_vec();
            let n = 1 + rng.below(8);
            for _ in 0..n {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            (v, format!("{n} bit flips"))
        }
        1 => {
            let at = rng.below(input.len());
            (input[..at].to_vec(), format!("truncated at {at}"))
        }
        2 => {
            let (a, len) = (rng.below(input.len()), 1 + rng.below(4096));
            let chunk = input[a..(a + len).min(input.len())].to_vec();
            let at = rng.below(input.len());
            let times = 1 + rng.below(64);
            let mut v = input[..at].to_vec();
            for _ in 0..times {
                v.extend_from_slice(&chunk);
            }
            v.extend_from_slice(&input[at..]);
            (v, format!("{} bytes from {a} duplicated {times}× at {at}", chunk.len()))
        }
        3 | 4 if is_cfb || !is_zip => {
            // Structural numbers: CFB header, FAT and directory fields, or any 4 bytes.
            let mut v = input.to_vec();
            let span = if is_cfb { v.len().min(512 * 8) } else { v.len() };
            let at = rng.below(span.saturating_sub(4).max(1)) & !3;
            let val = *rng.pick(&INTERESTING_U32);
            if at + 4 <= v.len() {
                v[at..at + 4].copy_from_slice(&val.to_le_bytes());
            }
            (v, format!("u32 at {at} := {val:#x}"))
        }
        5 | 6 if !is_zip => {
            // Text mutations for CSV: quotes, NULs, invalid UTF-8, long runs.
            let mut v = input.to_vec();
            let at = rng.below(v.len());
            let junk: &[u8] = match rng.below(4) {
                0 => b"\"",
                1 => b"\0\0\0",
                2 => &[0xFF, 0xFE, 0xC3],
                _ => b"\r\r\n,,,,\"\"\"",
            };
            let times = 1 + rng.below(2000);
            for _ in 0..times {
                v.splice(at..at, junk.iter().copied());
            }
            (v, format!("{times}× {junk:?} inserted at {at}"))
        }
        _ if is_zip => mutate_entry(rng, input),
        _ => {
            let mut v = input.to_vec();
            let at = rng.below(v.len());
            v[at] = rng.next_u64() as u8;
            (v, format!("byte at {at} replaced"))
        }
    }
}

/// Unpacks the zip, changes one entry's content (so the damage reaches the XML parser
/// instead of failing a checksum), and packs it again.
fn mutate_entry(rng: &mut Rng, input: &[u8]) -> (Vec<u8>, String) {
    let Ok(mut z) = ZipArchive::new(Cursor::new(input)) else { return (input.to_vec(), "unchanged".into()) };
    let mut entries = Vec::new();
    for i in 0..z.len() {
        let Ok(mut f) = z.by_index(i) else { return (input.to_vec(), "unchanged".into()) };
        let mut data = Vec::new();
        if f.read_to_end(&mut data).is_err() {
            return (input.to_vec(), "unchanged".into());
        }
        entries.push((f.name().map(|n| n.into_owned()).unwrap_or_default(), data));
    }
    if entries.is_empty() {
        return (input.to_vec(), "unchanged".into());
    }
    let k = rng.below(entries.len());
    let what = {
        let (name, data) = &mut entries[k];
        let at = rng.below(data.len().max(1)).min(data.len());
        match rng.below(4) {
            0 => {
                let t = *rng.pick(&INTERESTING_XML);
                data.splice(at..at, t.bytes());
                format!("{name}: {t:?} inserted at {at}")
            }
            1 => {
                data.truncate(at);
                format!("{name}: truncated at {at}")
            }
            2 => {
                // A number replaced by a huge one.
                let digits = data.iter().skip(at).position(u8::is_ascii_digit).map(|p| p + at);
                if let Some(p) = digits {
                    let big = *rng.pick(&["4294967296", "18446744073709551615", "1048577", "0", "99999999"]);
                    data.splice(p..p + 1, big.bytes());
                    format!("{name}: number at {p} := {big}")
                } else {
                    format!("{name}: unchanged")
                }
            }
            _ => {
                let len = 1 + rng.below(256);
                let chunk = data[at..(at + len).min(data.len())].to_vec();
                let times = 1 + rng.below(10_000);
                let mut v = data[..at].to_vec();
                for _ in 0..times {
                    v.extend_from_slice(&chunk);
                }
                v.extend_from_slice(&data[at..]);
                *data = v;
                format!("{name}: {} bytes at {at} repeated {times}×", chunk.len())
            }
        }
    };
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in &entries {
        if w.start_file(name.as_str(), SimpleFileOptions::default()).is_err() || w.write_all(data).is_err() {
            return (input.to_vec(), "unchanged".into());
        }
    }
    match w.finish() {
        Ok(c) => (c.into_inner(), what),
        Err(_) => (input.to_vec(), "unchanged".into()),
    }
}

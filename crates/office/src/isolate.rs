//! Parsing `.xlsx` and `.xls` in a child process.
//!
//! The child is the `xuepei` executable run as `xuepei read-sheet …` (a hidden command).
//! It lowers its own address-space and CPU limits first, reads the file (a path, or the
//! bytes on standard input), runs the container checks, parses, and streams frames on
//! standard output: `[tag: u8][length: u32 LE][payload]`. The parent reads them on a
//! thread, waits for each with a timeout, and kills the child when it stays silent. An
//! abort, a kill by a limit, a crash or garbage on the pipe is one refused file.

use std::ffi::OsString;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::limits::{ChildLimits, ReadLimits};
use crate::read::{Format, ReadError, Row, Src};

/// The hidden command of the `xuepei` executable that runs the child side.
pub const COMMAND: &str = "read-sheet";
const HELLO: &[u8] = b"xuepei-reader/1";
/// No frame is longer (a row of 256 cells of 32,767 characters fits).
const MAX_FRAME: usize = 64 << 20;

const T_HELLO: u8 = b'H';
const T_NAMES: u8 = b'N';
const T_START: u8 = b'S';
const T_ROW: u8 = b'R';
const T_END: u8 = b'E';
const T_ERROR: u8 = b'X';
const T_DONE: u8 = b'D';

#[derive(Debug)]
pub(crate) enum Frame {
    Hello(Vec<u8>),
    Names(Vec<String>),
    Start(u32),
    Row(Row),
    End(u32),
    Error(ReadError),
    Done,
}

// ---------------------------------------------------------------------------------------
// Encoding

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u32(b, u32::try_from(s.len()).unwrap_or(u32::MAX));
    b.extend_from_slice(&s.as_bytes()[..s.len().min(u32::MAX as usize)]);
}

fn put_error(b: &mut Vec<u8>, e: &ReadError) {
    match e {
        ReadError::NotSpreadsheet => b.push(0),
        ReadError::Html => b.push(1),
        ReadError::Corrupt { format, detail } => {
            b.push(2);
            b.push(Format::from_label(format).map_or(0, |f| f as u8));
            put_str(b, detail);
        }
        ReadError::NoSheet => b.push(3),
        ReadError::Io(s) => {
            b.push(4);
            put_str(b, s);
        }
        ReadError::Refused(s) => {
            b.push(5);
            put_str(b, s);
        }
        ReadError::TooManyRows { limit } => {
            b.push(6);
            put_u64(b, *limit);
        }
        ReadError::Unsafe(s) => {
            b.push(7);
            put_str(b, s);
        }
    }
}

fn put_row(b: &mut Vec<u8>, row: &Row) {
    put_u64(b, row.number);
    put_u32(b, row.cells.len() as u32);
    for c in &row.cells {
        put_str(b, c);
    }
    put_u32(b, row.lossy.len() as u32);
    for l in &row.lossy {
        put_u32(b, *l as u32);
    }
}

fn write_frame(w: &mut impl Write, tag: u8, payload: &[u8]) -> io::Result<()> {
    w.write_all(&[tag])?;
    w.write_all(&(payload.len() as u32).to_le_bytes())?;
    w.write_all(payload)
}

/// Reads a payload without trusting it: every read is bounds-checked.
struct Dec<'a>(&'a [u8]);

impl Dec<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

fn decode(tag: u8, payload: &[u8]) -> Option<Frame> {
    let mut d = Dec(payload);
    let frame = match tag {
        T_HELLO => return Some(Frame::Hello(payload.to_vec())),
        T_NAMES => {
            let n = d.u32()?;
            let mut names = Vec::new();
            for _ in 0..n {
                names.push(d.str()?);
            }
            Frame::Names(names)
        }
        T_START => Frame::Start(d.u32()?),
        T_END => Frame::End(d.u32()?),
        T_DONE => Frame::Done,
        T_ROW => {
            let number = d.u64()?;
            let n = d.u32()?;
            let mut cells = Vec::new();
            for _ in 0..n {
                cells.push(d.str()?);
            }
            let n = d.u32()?;
            let mut lossy = Vec::new();
            for _ in 0..n {
                lossy.push(d.u32()? as usize);
            }
            Frame::Row(Row { number, cells, lossy })
        }
        T_ERROR => Frame::Error(match d.u8()? {
            0 => ReadError::NotSpreadsheet,
            1 => ReadError::Html,
            2 => {
                let format = Format::from_tag(d.u8()?)?;
                ReadError::Corrupt { format: format.label(), detail: d.str()? }
            }
            3 => ReadError::NoSheet,
            4 => ReadError::Io(d.str()?),
            5 => ReadError::Refused(d.str()?),
            6 => ReadError::TooManyRows { limit: d.u64()? },
            7 => ReadError::Unsafe(d.str()?),
            _ => return None,
        }),
        _ => return None,
    };
    d.end()?;
    Some(frame)
}

/// The next frame; `None` at a clean end of stream.
fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut head = [0u8; 5];
    match r.read(&mut head[..1])? {
        0 => return Ok(None),
        _ => r.read_exact(&mut head[1..])?,
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too long"));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    decode(head[0], &payload).map(Some).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad frame"))
}

// ---------------------------------------------------------------------------------------
// Parent side

fn unavailable(e: impl std::fmt::Display) -> ReadError {
    ReadError::Unsafe(format!("服务器无法启动文件读取进程：{e}，请联系系统管理员"))
}

/// Readers running now in this process.
static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// A place among the [`ChildLimits::max_readers`] readers that may run at once: many
/// uploads at one time wait their turn (or are refused) instead of each taking a reader's
/// memory.
struct Permit;

impl Permit {
    fn acquire(c: &ChildLimits) -> Result<Permit, ReadError> {
        let deadline = Instant::now() + c.queue_timeout;
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        while *running >= c.max_readers.max(1) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReadError::Refused(
                    "服务器正在读取其他用户上传的文件，暂时无法读取本文件，未导入任何数据。请稍候几分钟再导入".into(),
                ));
            }
            running = FREED.wait_timeout(running, left).map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
        *running += 1;
        Ok(Permit)
    }

    /// Readers running now (for tests).
    #[cfg(test)]
    fn running() -> usize {
        *RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        *running = running.saturating_sub(1);
        FREED.notify_one();
    }
}

/// A running child, positioned before sheet `next_sheet`.
pub(crate) struct Session {
    child: Child,
    /// Released after the child is ended (fields drop after `Drop::drop`).
    _permit: Permit,
    frames: mpsc::Receiver<io::Result<Frame>>,
    limits: ChildLimits,
    pub(crate) names: Vec<String>,
    pub(crate) next_sheet: usize,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("pid", &self.child.id()).field("next_sheet", &self.next_sheet).finish()
    }
}

fn child_args(c: &ChildLimits, l: &ReadLimits, from: usize) -> Vec<String> {
    let pairs: [(&str, u64); 14] = [
        ("from", from as u64),
        ("memory-mb", c.memory_mb),
        ("cpu-seconds", c.cpu_seconds),
        ("max-rows", l.max_rows),
        ("extra-rows", l.extra_rows),
        ("max-columns", l.max_columns as u64),
        ("max-cell-chars", l.max_cell_chars as u64),
        ("max-row-bytes", l.max_row_bytes as u64),
        ("max-cells", l.max_cells),
        ("max-unpacked", l.max_unpacked_bytes),
        ("max-part", l.max_part_bytes),
        ("max-ratio", l.max_ratio),
        ("max-entries", l.max_zip_entries),
        ("max-input", l.max_input_bytes),
    ];
    pairs.iter().flat_map(|(k, v)| [format!("--{k}"), v.to_string()]).collect()
}

impl Session {
    /// Starts a child that reads sheets from `from` on, and waits for the sheet names.
    pub(crate) fn start(c: &ChildLimits, source: &Src, from: usize, limits: &ReadLimits) -> Result<Session, ReadError> {
        let program = match &c.program {
            Some(p) => p.clone(),
            None => std::env::current_exe().map_err(unavailable)?,
        };
        let permit = Permit::acquire(c)?;
        let mut cmd = Command::new(program);
        cmd.arg(COMMAND).args(child_args(c, limits, from)).env_clear().stdout(Stdio::piped()).stderr(Stdio::null());
        match source {
            Src::Path(p) => {
                cmd.arg("--path").arg(p).stdin(Stdio::null());
            }
            Src::Bytes(_) => {
                cmd.stdin(Stdio::piped());
            }
        }
        let mut child = cmd.spawn().map_err(unavailable)?;
        if let (Src::Bytes(b), Some(mut stdin)) = (source, child.stdin.take()) {
            let b = std::sync::Arc::clone(b);
            // A child that stops reading (it refused the file) makes this fail: fine.
            thread::spawn(move || {
                let _ = stdin.write_all(&b);
            });
        }
        let stdout = child.stdout.take().ok_or_else(|| unavailable("没有输出管道"))?;
        let (tx, frames) = mpsc::sync_channel(64);
        thread::spawn(move || {
            let mut r = BufReader::with_capacity(256 * 1024, stdout);
            loop {
                match read_frame(&mut r) {
                    Ok(Some(f)) => {
                        if tx.send(Ok(f)).is_err() {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        let mut s = Session { child, _permit: permit, frames, limits: c.clone(), names: Vec::new(), next_sheet: from };
        match s.next()? {
            Frame::Hello(h) if h == HELLO => {}
            _ => return Err(s.broken("读取程序版本不符")),
        }
        match s.next()? {
            Frame::Names(n) => s.names = n,
            Frame::Error(e) => return Err(e),
            _ => return Err(s.broken("输出格式异常")),
        }
        Ok(s)
    }

    /// The next frame, within the idle timeout.
    pub(crate) fn next(&mut self) -> Result<Frame, ReadError> {
        match self.frames.recv_timeout(self.limits.idle_timeout) {
            Ok(Ok(Frame::Error(e))) => Err(e),
            Ok(Ok(f)) => Ok(f),
            Ok(Err(_)) => Err(self.broken("输出格式异常")),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.kill();
                Err(ReadError::Unsafe(format!("读取超过{}秒没有进展，已终止", self.limits.idle_timeout.as_secs())))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(self.ended()),
        }
    }

    /// Streams sheet `index` to `visit`; `Ok(true)` when the sheet ended (the child is
    /// then before the next sheet), `Ok(false)` when `visit` stopped early.
    pub(crate) fn stream_sheet(
        &mut self,
        index: usize,
        limits: &ReadLimits,
        visit: &mut impl FnMut(Row) -> ControlFlow<()>,
    ) -> Result<bool, ReadError> {
        match self.next()? {
            Frame::Start(i) if i as usize == index => {}
            Frame::Done => return Err(ReadError::NoSheet),
            _ => return Err(self.broken("输出顺序异常")),
        }
        let mut rows = 0u64;
        loop {
            match self.next()? {
                Frame::Row(row) => {
                    rows += 1;
                    if rows > limits.file_rows() {
                        return Err(ReadError::TooManyRows { limit: limits.max_rows });
                    }
                    if row.cells.len() > limits.max_columns {
                        return Err(self.broken("列数超过上限"));
                    }
                    if visit(row).is_break() {
                        return Ok(false);
                    }
                }
                Frame::End(i) if i as usize == index => {
                    self.next_sheet = index + 1;
                    return Ok(true);
                }
                _ => return Err(self.broken("输出顺序异常")),
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn broken(&mut self, what: &str) -> ReadError {
        self.kill();
        ReadError::Unsafe(format!("读取进程{what}"))
    }

    /// Why the child's output ended early.
    fn ended(&mut self) -> ReadError {
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => {
                    self.kill();
                    break None;
                }
            }
        };
        ReadError::Unsafe(describe(status, &self.limits))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
    }
}

fn describe(status: Option<ExitStatus>, c: &ChildLimits) -> String {
    let Some(status) = status else { return "读取进程没有响应，已终止".into() };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(6) => return format!("读取所需的内存超过了上限（{}MB）", c.memory_mb),
            Some(9) | Some(24) => return format!("读取所需的处理时间超过了上限（{}秒）", c.cpu_seconds),
            Some(s) => return format!("读取进程异常退出（信号{s}）"),
            None => {}
        }
    }
    match status.code() {
        Some(code) => format!("读取进程异常退出（代码{code}）"),
        None => "读取进程异常退出".into(),
    }
}

// ---------------------------------------------------------------------------------------
// Child side

#[derive(Debug)]
struct ChildArgs {
    from: usize,
    memory_mb: u64,
    cpu_seconds: u64,
    limits: ReadLimits,
    path: Option<PathBuf>,
}

fn parse_args(args: &[OsString]) -> Option<ChildArgs> {
    let mut a = ChildArgs {
        from: 0,
        memory_mb: ChildLimits::default().memory_mb,
        cpu_seconds: ChildLimits::default().cpu_seconds,
        limits: ReadLimits::default(),
        path: None,
    };
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let k = k.to_str()?;
        let v = it.next()?;
        if k == "--path" {
            a.path = Some(PathBuf::from(v));
            continue;
        }
        let n: u64 = v.to_str()?.parse().ok()?;
        let l = &mut a.limits;
        match k {
            "--from" => a.from = usize::try_from(n).ok()?,
            "--memory-mb" => a.memory_mb = n,
            "--cpu-seconds" => a.cpu_seconds = n,
            "--max-rows" => l.max_rows = n,
            "--extra-rows" => l.extra_rows = n,
            "--max-columns" => l.max_columns = usize::try_from(n).ok()?,
            "--max-cell-chars" => l.max_cell_chars = usize::try_from(n).ok()?,
            "--max-row-bytes" => l.max_row_bytes = usize::try_from(n).ok()?,
            "--max-cells" => l.max_cells = n,
            "--max-unpacked" => l.max_unpacked_bytes = n,
            "--max-part" => l.max_part_bytes = n,
            "--max-ratio" => l.max_ratio = n,
            "--max-entries" => l.max_zip_entries = n,
            "--max-input" => l.max_input_bytes = n,
            _ => return None,
        }
    }
    Some(a)
}

/// Lowers this process's own limits: no core files, bounded address space and CPU time.
#[cfg(unix)]
fn limit_self(memory_mb: u64, cpu_seconds: u64) -> nix::Result<()> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let set = |res: Resource, soft: u64, hard: u64| -> nix::Result<()> {
        let (_, max) = getrlimit(res)?;
        let hard = hard.min(max);
        setrlimit(res, soft.min(hard), hard)
    };
    set(Resource::RLIMIT_CORE, 0, 0)?;
    let bytes = memory_mb.saturating_mul(1 << 20);
    set(Resource::RLIMIT_AS, bytes, bytes)?;
    set(Resource::RLIMIT_CPU, cpu_seconds.max(1), cpu_seconds.max(1).saturating_add(5))
}

#[cfg(not(unix))]
fn limit_self(_memory_mb: u64, _cpu_seconds: u64) -> Result<(), std::convert::Infallible> {
    Ok(())
}

/// Writes frames; remembers the first write error (the parent went away).
struct Out<W: Write> {
    w: BufWriter<W>,
    buf: Vec<u8>,
    failed: bool,
}

impl<W: Write> Out<W> {
    fn frame(&mut self, tag: u8, fill: impl FnOnce(&mut Vec<u8>), flush: bool) -> bool {
        if self.failed {
            return false;
        }
        self.buf.clear();
        fill(&mut self.buf);
        let ok = write_frame(&mut self.w, tag, &self.buf).is_ok() && (!flush || self.w.flush().is_ok());
        self.failed = !ok;
        ok
    }
}

/// The `read-sheet` command: `args` are those after the command's name. Frames go to
/// standard output; the exit code is 0 whenever a final frame was written.
pub fn child_main(args: &[OsString]) -> ExitCode {
    let mut out = Out { w: BufWriter::with_capacity(256 * 1024, io::stdout().lock()), buf: Vec::new(), failed: false };
    out.frame(T_HELLO, |b| b.extend_from_slice(HELLO), true);
    let Some(args) = parse_args(args) else {
        out.frame(T_ERROR, |b| put_error(b, &ReadError::Unsafe("读取进程参数有误".into())), true);
        return ExitCode::from(2);
    };
    if limit_self(args.memory_mb, args.cpu_seconds).is_err() {
        out.frame(T_ERROR, |b| put_error(b, &ReadError::Unsafe("无法限制读取进程的资源".into())), true);
        return ExitCode::from(2);
    }
    // A panic is reported as a frame, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_child(&args, &mut out)));
    match result {
        Ok(Ok(())) => {
            out.frame(T_DONE, |_| {}, true);
        }
        Ok(Err(e)) => {
            out.frame(T_ERROR, |b| put_error(b, &e), true);
        }
        Err(_) => {
            out.frame(T_ERROR, |b| put_error(b, &ReadError::Unsafe("解析文件时出错".into())), true);
        }
    }
    ExitCode::SUCCESS
}

fn run_child<W: Write>(args: &ChildArgs, out: &mut Out<W>) -> Result<(), ReadError> {
    let limits = &args.limits;
    let src = match &args.path {
        Some(p) => Src::Path(p.clone()),
        None => {
            let mut data = Vec::new();
            io::stdin()
                .lock()
                .take(limits.max_input_bytes.saturating_add(1))
                .read_to_end(&mut data)
                .map_err(|e| ReadError::Io(e.to_string()))?;
            Src::Bytes(std::sync::Arc::new(data))
        }
    };
    let gone = || ReadError::Io("读取结果无法送回".into());
    crate::read::stream_workbook(&src, args.from, limits, |event| {
        let ok = match event {
            SheetEvent::Names(names) => out.frame(
                T_NAMES,
                |b| {
                    put_u32(b, names.len() as u32);
                    for n in names {
                        put_str(b, n);
                    }
                },
                true,
            ),
            SheetEvent::Start(i) => out.frame(T_START, |b| put_u32(b, i as u32), true),
            SheetEvent::Row(row) => out.frame(T_ROW, |b| put_row(b, row), false),
            SheetEvent::End(i) => out.frame(T_END, |b| put_u32(b, i as u32), true),
        };
        if ok { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    })?;
    if out.failed { Err(gone()) } else { Ok(()) }
}

/// What the child reports while it reads sheets.
#[derive(Debug)]
pub(crate) enum SheetEvent<'a> {
    Names(&'a [String]),
    Start(usize),
    Row(&'a Row),
    End(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_garbage_is_refused() {
        let mut w = Vec::new();
        let row = Row { number: 7, cells: vec!["张三".into(), String::new()], lossy: vec![1] };
        let mut b = Vec::new();
        put_row(&mut b, &row);
        write_frame(&mut w, T_ROW, &b).expect("write");
        for e in [
            ReadError::TooManyRows { limit: 5 },
            ReadError::Refused("拒绝".into()),
            ReadError::Corrupt { format: Format::Xls.label(), detail: "d".into() },
        ] {
            let mut b = Vec::new();
            put_error(&mut b, &e);
            write_frame(&mut w, T_ERROR, &b).expect("write");
        }
        let mut r = &w[..];
        assert!(matches!(read_frame(&mut r), Ok(Some(Frame::Row(x))) if x == row));
        assert!(matches!(read_frame(&mut r), Ok(Some(Frame::Error(ReadError::TooManyRows { limit: 5 })))));
        assert!(matches!(read_frame(&mut r), Ok(Some(Frame::Error(ReadError::Refused(_))))));
        assert!(matches!(read_frame(&mut r), Ok(Some(Frame::Error(ReadError::Corrupt { .. })))));
        assert!(matches!(read_frame(&mut r), Ok(None)));
        // A frame claiming 4 GB, a truncated one, an unknown tag.
        assert!(read_frame(&mut &[T_ROW, 0xFF, 0xFF, 0xFF, 0xFF][..]).is_err());
        assert!(read_frame(&mut &[T_ROW, 4, 0, 0, 0, 1][..]).is_err());
        assert!(read_frame(&mut &[b'?', 0, 0, 0, 0][..]).is_err());
        // A row that claims more cells than it carries.
        let mut b = Vec::new();
        put_u64(&mut b, 1);
        put_u32(&mut b, u32::MAX);
        assert!(decode(T_ROW, &b).is_none());
    }

    #[test]
    fn readers_beyond_the_limit_wait_their_turn_then_are_refused() {
        let limits = ChildLimits {
            max_readers: Permit::running() + 1,
            queue_timeout: Duration::from_millis(80),
            ..ChildLimits::default()
        };
        let first = Permit::acquire(&limits).expect("a free place");
        let t = Instant::now();
        match Permit::acquire(&limits) {
            Err(ReadError::Refused(m)) => assert!(m.contains("请稍候"), "{m}"),
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        }
        assert!(t.elapsed() >= Duration::from_millis(80), "it waited its turn first");
        // A place freed while waiting is taken.
        let waiter = thread::spawn(move || {
            let limits = ChildLimits { queue_timeout: Duration::from_secs(5), ..limits };
            Permit::acquire(&limits).map(|_| ()).is_ok()
        });
        thread::sleep(Duration::from_millis(50));
        drop(first);
        assert!(waiter.join().expect("thread"), "the freed place went to the waiting file");
    }

    #[test]
    fn arguments_round_trip() {
        let c = ChildLimits { memory_mb: 300, cpu_seconds: 9, ..Default::default() };
        let l = ReadLimits { max_ratio: 33, ..ReadLimits::with_rows(12) };
        let args: Vec<OsString> = child_args(&c, &l, 2).into_iter().map(OsString::from).collect();
        let a = parse_args(&args).expect("parses");
        assert_eq!((a.from, a.memory_mb, a.cpu_seconds), (2, 300, 9));
        assert_eq!(a.limits, l);
        assert!(parse_args(&[OsString::from("--nope"), OsString::from("1")]).is_none());
    }
}

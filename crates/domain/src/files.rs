//! What an uploaded file is, read from its content and never from its name alone, and the
//! name it is kept under: the extension follows the content, so a PDF named `x.bat` is
//! handed back as `x.bat.pdf`, never as something that runs when opened.

/// The families of files the upload forms take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Photo,
    /// PDF, Word, Excel, PowerPoint, WPS and OFD files.
    Document,
    Video,
    /// Plain UTF-8 text.
    Text,
}

/// A file's content type and the extensions it may be named with (the first is added when
/// its name has none of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub mime: &'static str,
    pub exts: &'static [&'static str],
    pub family: Family,
}

const fn kind(mime: &'static str, exts: &'static [&'static str], family: Family) -> FileKind {
    FileKind { mime, exts, family }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

/// What the bytes are, or None when they are none of the kinds taken. Old Office files
/// (one container for Word, Excel, PowerPoint and WPS) are told apart by the name's
/// extension; new ones by their parts.
pub fn sniff(name: &str, bytes: &[u8]) -> Option<FileKind> {
    use Family::*;
    let starts = |m: &[u8]| bytes.starts_with(m);
    let ext = extension(name);
    if starts(b"\xFF\xD8\xFF") {
        Some(kind("image/jpeg", &["jpg", "jpeg"], Photo))
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(kind("image/png", &["png"], Photo))
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(kind("image/gif", &["gif"], Photo))
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(kind("image/webp", &["webp"], Photo))
    } else if starts(b"%PDF") {
        Some(kind("application/pdf", &["pdf"], Document))
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some(kind("video/mp4", &["mp4", "m4v", "mov"], Video))
    } else if starts(b"PK\x03\x04") {
        if contains(bytes, b"OFD.xml") {
            Some(kind("application/ofd", &["ofd"], Document))
        } else if !contains(bytes, b"[Content_Types].xml") {
            None
        } else if contains(bytes, b"word/") {
            Some(kind(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &["docx", "wps"],
                Document,
            ))
        } else if contains(bytes, b"xl/") {
            Some(kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &["xlsx", "et"], Document))
        } else if contains(bytes, b"ppt/") {
            Some(kind(
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                &["pptx", "dps"],
                Document,
            ))
        } else {
            None
        }
    } else if starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        match ext.as_str() {
            "doc" | "wps" => Some(kind("application/msword", &["doc", "wps"], Document)),
            "xls" | "et" => Some(kind("application/vnd.ms-excel", &["xls", "et"], Document)),
            "ppt" | "dps" => Some(kind("application/vnd.ms-powerpoint", &["ppt", "dps"], Document)),
            _ => None,
        }
    } else if std::str::from_utf8(bytes)
        .is_ok_and(|t| !t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
    {
        Some(kind("text/plain; charset=utf-8", &["txt"], Text))
    } else {
        None
    }
}

/// The name a file of `kind` is kept under: `name` when its extension is one of the
/// kind's, else `name` with the kind's extension added.
pub fn named_as(name: &str, kind: &FileKind) -> String {
    if kind.exts.contains(&extension(name).as_str()) { name.to_owned() } else { format!("{name}.{}", kind.exts[0]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ooxml(part: &str) -> Vec<u8> {
        format!("PK\x03\x04....[Content_Types].xml....{part}document.xml").into_bytes()
    }

    #[test]
    fn files_are_known_by_their_content() {
        assert_eq!(sniff("现场.jpg", b"\xFF\xD8\xFF\xE0rest").map(|k| k.mime), Some("image/jpeg"));
        assert_eq!(sniff("x", b"\x89PNG\r\n\x1a\nrest").map(|k| k.family), Some(Family::Photo));
        assert_eq!(sniff("片.mp4", b"\0\0\0\x18ftypmp42").map(|k| k.family), Some(Family::Video));
        assert_eq!(sniff("x.bat", b"%PDF-1.4\nstart calc").map(|k| k.mime), Some("application/pdf"));
        assert!(sniff("方案.docx", &ooxml("word/")).is_some_and(|k| k.mime.contains("wordprocessingml")));
        assert!(sniff("表.xlsx", &ooxml("xl/")).is_some_and(|k| k.exts[0] == "xlsx"));
        assert_eq!(sniff("方案.ofd", b"PK\x03\x04..OFD.xml..").map(|k| k.exts[0]), Some("ofd"));
        assert_eq!(sniff("方案.wps", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1..").map(|k| k.exts[0]), Some("doc"));
        assert_eq!(sniff("方案.txt", "一、指导思想\n".as_bytes()).map(|k| k.family), Some(Family::Text));
        // A zip that is not an Office file, an executable, an old Office container named
        // otherwise: none of the kinds taken.
        assert!(sniff("plain.docx", b"PK\x03\x04..evil.exe..index.html").is_none());
        assert!(sniff("照片.jpg", b"MZ\x90\0\x03\0").is_none());
        assert!(sniff("x.exe", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1..").is_none());
    }

    #[test]
    fn the_name_follows_the_content() {
        let pdf = sniff("x.bat", b"%PDF-1.4").expect("pdf");
        assert_eq!(named_as("x.bat", &pdf), "x.bat.pdf");
        assert_eq!(named_as("方案.PDF", &pdf), "方案.PDF");
        let png = sniff("plain.exe", b"\x89PNG\r\n\x1a\n").expect("png");
        assert_eq!(named_as("plain.exe", &png), "plain.exe.png");
        let text = sniff("a.html", b"<script>alert(1)</script>").expect("text");
        assert_eq!(named_as("a.html", &text), "a.html.txt");
    }
}

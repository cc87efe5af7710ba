//! Finds the CJK font the PDFs embed, so that the server needs no font of its machine.
//!
//! `XUEPEI_CJK_FONT` names a TrueType/OpenType file or collection (with
//! `XUEPEI_CJK_FONT_INDEX` for a face other than the first); otherwise the files that
//! Debian's font packages install are tried in order (`fonts-arphic-uming`, a Song face as
//! official documents use, then `fonts-wqy-microhei` and `fonts-noto-cjk`). The chosen
//! file is copied into the build and compiled into the binary; without one the binary
//! builds all the same and refuses to make PDFs with a message saying which package to
//! install (`scripts/demo.sh` and `scripts/test-all.sh` install it).

use std::path::{Path, PathBuf};
use std::{env, fs};

/// Debian's packages and the face of each file to use (the simplified-Chinese one).
const CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
];

const FONTS_DIR: &str = "/usr/share/fonts";

/// Writes `bytes` unless the file already holds them, so that a rerun changes nothing.
fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn main() {
    println!("cargo::rustc-check-cfg=cfg(cjk_font)");
    println!("cargo::rerun-if-env-changed=XUEPEI_CJK_FONT");
    println!("cargo::rerun-if-env-changed=XUEPEI_CJK_FONT_INDEX");
    // Watched where they exist: a path that does not exist would rerun this script, and so
    // rebuild everything above this crate, on every build. Installing a font package
    // changes the fonts directory.
    if Path::new(FONTS_DIR).is_dir() {
        println!("cargo::rerun-if-changed={FONTS_DIR}");
    }
    let chosen: Option<(PathBuf, u32)> = match env::var_os("XUEPEI_CJK_FONT") {
        Some(p) => {
            let index = env::var("XUEPEI_CJK_FONT_INDEX").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
            Some((PathBuf::from(p), index))
        }
        None => CANDIDATES.iter().find(|(p, _)| Path::new(p).is_file()).map(|(p, i)| (PathBuf::from(p), *i)),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let font = out.join("cjk-font.bin");
    let bytes = match &chosen {
        Some((p, _)) => fs::read(p).unwrap_or_else(|e| panic!("cannot read the CJK font {}: {e}", p.display())),
        None => Vec::new(),
    };
    if let Some((p, _)) = &chosen {
        println!("cargo::rerun-if-changed={}", p.display());
    }
    write_if_changed(&font, &bytes);
    write_if_changed(&out.join("cjk-font-index.txt"), chosen.as_ref().map_or(0, |(_, i)| *i).to_string().as_bytes());
    if chosen.is_some() {
        println!("cargo::rustc-cfg=cjk_font");
    } else {
        println!(
            "cargo::warning=no CJK font found: PDFs will be refused until fonts-arphic-uming is installed and the build rerun"
        );
    }
}

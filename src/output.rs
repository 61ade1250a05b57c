//! Output files written whole or not at all.
//!
//! A file is written to a temporary name beside its destination and renamed into place only
//! when complete, so a reader never sees half a file, a failed write leaves nothing behind, and
//! an interrupted run removes the temporary file (see [`crate::interrupt`]).

use crate::interrupt;
use anyhow::Context;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temp = temp_path(path);
    interrupt::register_temp_file(&temp);
    let written = (|| -> anyhow::Result<()> {
        check_writable(path)?;
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    interrupt::forget_temp_file(&temp);
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// Fails where a file could not be written at `path`: checked before a long run, so that a
/// mistyped directory costs nothing. Leaves nothing behind.
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(!path.is_dir(), "{} is a directory", path.display());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // A missing directory is the common mistake: name it.
    let meta = fs::metadata(dir).with_context(|| dir.display().to_string())?;
    anyhow::ensure!(meta.is_dir(), "{} is not a directory", dir.display());
    let probe = temp_path(path);
    fs::File::create(&probe).with_context(|| dir.display().to_string())?;
    fs::remove_file(&probe)?;
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.conpar-{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_nothing_on_failure() {
        let dir = std::env::temp_dir().join(format!("conpar-output-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("out.json");
        write_atomic(&file, b"{}").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"{}");
        let missing = dir.join("no/such/dir/out.json");
        let error = write_atomic(&missing, b"{}").unwrap_err();
        assert!(format!("{error:#}").contains("cannot write"));
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("out.json")]);
        fs::remove_dir_all(&dir).unwrap();
    }
}

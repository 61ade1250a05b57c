//! Output files (`--trace`, `--plot`): checked before a run, written after it, to whatever the
//! path names. Every output file goes through [`check_writable`] and [`write`](fn@write).
//!
//! - A regular file, or a name not yet taken, is written whole or not at all: the bytes go to a
//!   temporary file beside it, created exclusively (`O_EXCL`, so never through a link planted at
//!   its name) under a short random name (`.tmpXXXXXX`, so any name the user may use fits), and
//!   renamed over the destination only when complete. A reader never sees half a file, a failed
//!   write leaves nothing behind, and an interrupted run removes the temporary file (see
//!   [`crate::interrupt`]). A file that exists keeps its mode (and its owner and group, where
//!   the writer may set them); like any rename, this gives the name a new file, so other hard
//!   links to the old one keep the old contents. A file the writer may not write (read-only) is
//!   refused, as by the shell's `>`.
//! - A symbolic link is followed (even one whose target does not exist yet): the target is
//!   written as above and the link stays a link.
//! - A device, FIFO or socket is written straight to, as it is: renaming over it would turn it
//!   into a regular file (as root, `--trace /dev/null` would replace the system's `/dev/null`)
//!   and a FIFO's reader would get nothing. Such a write cannot be whole or nothing. A FIFO
//!   that no process reads is an error, not a hang; a reader that stops reading early is no
//!   failure, as on stdout.

use crate::interrupt;
use anyhow::{Context, anyhow, bail, ensure};
use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Most symbolic links followed from one path: Linux's own limit.
const MAX_LINKS: usize = 40;

/// Fails where the `what` (trace, plot) could not be written to `path`: checked before a long
/// run, so that a mistyped directory costs nothing. Creates nothing that outlives the check:
/// a regular file's directory is probed with a temporary file removed at once; a device or
/// FIFO is not even opened (opening a FIFO waits for a reader, closing it ends the reader's
/// input), only its permissions are checked.
pub(crate) fn check_writable(what: &str, path: &Path) -> anyhow::Result<()> {
    let check = || -> anyhow::Result<()> {
        match resolve(path)? {
            Destination::File { path, existing } => {
                if existing.is_some() {
                    platform::writable(&path)?;
                }
                // Dropped at once: the probe is removed.
                TempFile::create(parent(&path), &mut tempfile::Builder::new())?;
            }
            Destination::Stream { path, .. } => platform::writable(&path)?,
        }
        Ok(())
    };
    check().with_context(|| format!("cannot write the {what} to {}", path.display()))
}

/// Writes `bytes`, the `what` (trace, plot), to `path` as the module doc says: whole or not at
/// all to a regular file, straight to a device or FIFO, through a symbolic link to its target.
pub(crate) fn write(what: &str, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_with(what, path, &|out| out.write_all(bytes))
}

/// Like [`write`](fn@write), with the contents written by `body` as it makes them (through a buffer), so
/// that a large output (a full-resolution trace) is never built whole in memory.
pub fn write_with(what: &str, path: &Path, body: &Body<'_>) -> anyhow::Result<()> {
    let write = || -> anyhow::Result<()> {
        match resolve(path)? {
            Destination::File { path, existing } => {
                if existing.is_some() {
                    platform::writable(&path)?;
                }
                replace(
                    &path,
                    existing.as_ref(),
                    body,
                    &mut tempfile::Builder::new(),
                )
            }
            Destination::Stream { path, fifo } => write_stream(&path, fifo, body),
        }
    };
    write().with_context(|| format!("cannot write the {what} to {}", path.display()))
}

/// What writes an output's contents.
pub type Body<'a> = dyn Fn(&mut dyn Write) -> io::Result<()> + 'a;

/// Do `a` and `b` name one file (the same path, however spelt, the same file through links,
/// or two hard links to it)? Writing both would keep only the one written last. Paths that
/// cannot be resolved are not the same: writing them fails anyway, and says why.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (identity(a), identity(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// What tells one file from another: its inode where it exists, else the path it would get.
#[derive(Debug, PartialEq)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    match fs::metadata(path) {
        Ok(meta) => match platform::inode(&meta) {
            Some((dev, ino)) => Some(Identity::Inode(dev, ino)),
            None => fs::canonicalize(path).ok().map(Identity::Path),
        },
        Err(_) => new_file(path).ok().map(Identity::Path),
    }
}

/// What an output path names once symbolic links are followed.
#[derive(Debug)]
enum Destination {
    /// A regular file (`existing`) or none yet, at this resolved path: replaced by rename.
    File {
        path: PathBuf,
        existing: Option<Metadata>,
    },
    /// A device, FIFO or socket, at the path given: written straight to.
    Stream { path: PathBuf, fifo: bool },
}

fn resolve(path: &Path) -> anyhow::Result<Destination> {
    ensure!(!path.as_os_str().is_empty(), "the path is empty");
    // `out/` names a directory; Path would quietly take it for a file called `out`.
    ensure!(
        !path.as_os_str().to_string_lossy().ends_with('/'),
        "the path ends with '/', so it names a directory"
    );
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!("it is a directory"),
        Ok(meta) if meta.is_file() => Ok(Destination::File {
            path: fs::canonicalize(path)?,
            existing: Some(meta),
        }),
        Ok(meta) => Ok(Destination::Stream {
            path: path.to_path_buf(),
            fifo: platform::is_fifo(&meta),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Destination::File {
            path: new_file(path)?,
            existing: None,
        }),
        Err(e) => Err(e.into()),
    }
}

/// The file that writing to `path`, which names nothing yet, creates: `path` itself, or where
/// its dangling symbolic links lead, in its directory resolved (which must exist).
fn new_file(path: &Path) -> anyhow::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let dir = parent(&path).to_path_buf();
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => path = dir.join(fs::read_link(&path)?),
            Ok(_) => bail!("{} appeared while it was being resolved", path.display()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = path
                    .file_name()
                    .ok_or_else(|| anyhow!("{} names no file", path.display()))?;
                // A missing directory is the common mistake: name it.
                let dir = fs::canonicalize(&dir).with_context(|| dir.display().to_string())?;
                return Ok(dir.join(name));
            }
            Err(e) => return Err(e.into()),
        }
    }
    bail!("too many levels of symbolic links")
}

/// The directory `path` is in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to a new temporary file beside `target` and renames it over `target`.
/// `names` makes the temporary file (tests give it a fixed name).
fn replace(
    target: &Path,
    existing: Option<&Metadata>,
    body: &Body<'_>,
    names: &mut tempfile::Builder<'_, '_>,
) -> anyhow::Result<()> {
    let mut temp = TempFile::create(parent(target), names)?;
    let file = temp.file()?;
    if let Some(meta) = existing {
        // The owner first: changing it clears the set-id bits, which the mode then restores.
        platform::keep_owner(file, meta);
        file.set_permissions(meta.permissions())?;
    }
    let mut buffered = io::BufWriter::new(&mut *file);
    body(&mut buffered)?;
    buffered.flush()?;
    drop(buffered);
    file.sync_all()?;
    temp.persist(target)
}

/// A temporary file, registered for removal on Ctrl-C for as long as it exists, and removed
/// when dropped unless persisted.
struct TempFile {
    file: Option<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl TempFile {
    /// Creates a temporary file in `dir`, exclusively, with the mode a new file gets
    /// (0666 less the umask).
    fn create(dir: &Path, names: &mut tempfile::Builder<'_, '_>) -> io::Result<TempFile> {
        let file = platform::new_file_mode(names).tempfile_in(dir)?;
        let path = file.path().to_path_buf();
        interrupt::register_temp_file(&path);
        Ok(TempFile {
            file: Some(file),
            path,
        })
    }

    fn file(&mut self) -> anyhow::Result<&mut fs::File> {
        self.file
            .as_mut()
            .map(tempfile::NamedTempFile::as_file_mut)
            .ok_or_else(|| anyhow!("the temporary file is gone"))
    }

    /// Renames the file to `target`, replacing whatever file or link is there.
    fn persist(mut self, target: &Path) -> anyhow::Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| anyhow!("the temporary file is gone"))?;
        // On failure the error's file is dropped, which removes it.
        file.persist(target).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        drop(self.file.take());
        interrupt::forget_temp_file(&self.path);
    }
}

/// Writes what `body` makes straight to a device, FIFO or socket.
fn write_stream(path: &Path, fifo: bool, body: &Body<'_>) -> anyhow::Result<()> {
    let file = platform::open_stream(path).map_err(|e| {
        if fifo && e.raw_os_error() == Some(platform::ENXIO) {
            anyhow!("no process has the FIFO open for reading")
        } else {
            e.into()
        }
    })?;
    let mut buffered = io::BufWriter::new(file);
    crate::streams::ignore_broken_pipe(body(&mut buffered).and_then(|()| buffered.flush()))?;
    Ok(())
}

#[cfg(target_os = "linux")]
mod platform {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use nix::unistd::{AccessFlags, access};
    use std::fs::{self, Metadata};
    use std::io;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    pub(crate) const ENXIO: i32 = nix::errno::Errno::ENXIO as i32;

    pub(crate) fn is_fifo(meta: &Metadata) -> bool {
        meta.file_type().is_fifo()
    }

    // `Option` as on the other platforms, which have no inode.
    #[allow(clippy::unnecessary_wraps)]
    pub(crate) fn inode(meta: &Metadata) -> Option<(u64, u64)> {
        Some((meta.dev(), meta.ino()))
    }

    /// May this process write to `path`? Asked without opening it.
    pub(crate) fn writable(path: &Path) -> io::Result<()> {
        Ok(access(path, AccessFlags::W_OK)?)
    }

    /// Opens `path` for writing without waiting: a FIFO that no process reads fails at once
    /// (ENXIO) instead of blocking forever. Then blocking again, so a slow reader is waited for.
    pub(crate) fn open_stream(path: &Path) -> io::Result<fs::File> {
        let file = fs::OpenOptions::new()
            .write(true)
            .custom_flags(OFlag::O_NONBLOCK.bits())
            .open(path)?;
        let flags = OFlag::from_bits_truncate(fcntl(&file, FcntlArg::F_GETFL)?);
        fcntl(
            &file,
            FcntlArg::F_SETFL(flags.difference(OFlag::O_NONBLOCK)),
        )?;
        Ok(file)
    }

    /// Gives `file` the owner and group of `meta`, where this process may: root may; anyone
    /// else's new file stays theirs, as does any file they create.
    pub(crate) fn keep_owner(file: &fs::File, meta: &Metadata) {
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }

    /// Temporary files get the mode of any new file (0666 less the umask), not tempfile's 0600.
    pub(crate) fn new_file_mode<'n, 'a, 'b>(
        names: &'n mut tempfile::Builder<'a, 'b>,
    ) -> &'n mut tempfile::Builder<'a, 'b> {
        names.permissions(fs::Permissions::from_mode(0o666))
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use std::fs::{self, Metadata};
    use std::io;
    use std::path::Path;

    pub(crate) const ENXIO: i32 = 6;

    pub(crate) fn is_fifo(_meta: &Metadata) -> bool {
        false
    }

    pub(crate) fn inode(_meta: &Metadata) -> Option<(u64, u64)> {
        None
    }

    pub(crate) fn writable(_path: &Path) -> io::Result<()> {
        Ok(())
    }

    pub(crate) fn open_stream(path: &Path) -> io::Result<fs::File> {
        fs::OpenOptions::new().write(true).open(path)
    }

    pub(crate) fn keep_owner(_file: &fs::File, _meta: &Metadata) {}

    pub(crate) fn new_file_mode<'n, 'a, 'b>(
        names: &'n mut tempfile::Builder<'a, 'b>,
    ) -> &'n mut tempfile::Builder<'a, 'b> {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn names_in(dir: &Path) -> Vec<OsString> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_whole_files_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.json");
        check_writable("trace", &file).unwrap();
        write("trace", &file, b"{}").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"{}");
        let missing = dir.path().join("no/such/dir/out.json");
        let error = format!("{:#}", write("trace", &missing, b"{}").unwrap_err());
        assert!(error.starts_with("cannot write the trace to "), "{error}");
        assert!(error.contains("no/such/dir: No such file"), "{error}");
        assert!(check_writable("trace", &missing).is_err());
        assert!(check_writable("trace", dir.path()).is_err());
        assert!(check_writable("trace", &dir.path().join("new/")).is_err());
        assert_eq!(names_in(dir.path()), ["out.json"]);
    }

    #[test]
    #[cfg(unix)]
    fn the_temporary_file_never_follows_a_link_planted_at_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        // A fixed name stands for the random one an attacker would have to guess.
        let planted = dir.path().join(".planted");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let target = dir.path().join("out.json");
        let mut names = tempfile::Builder::new();
        names.prefix(".planted").rand_bytes(0);
        let error = replace(&target, None, &|out| out.write_all(b"{}"), &mut names).unwrap_err();
        assert_eq!(
            error.downcast_ref::<io::Error>().map(io::Error::kind),
            Some(io::ErrorKind::AlreadyExists),
            "{error:#}"
        );
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&planted).unwrap().is_symlink());
        assert!(!target.exists());
    }

    #[test]
    #[cfg(unix)]
    fn a_dangling_link_is_followed_to_the_file_it_would_create() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("sub/../target.json", &link).unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        write("trace", &link, b"{}").unwrap();
        assert_eq!(fs::read(dir.path().join("target.json")).unwrap(), b"{}");
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        // A loop of links fails, it does not spin.
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let error = format!("{:#}", write("trace", &a, b"{}").unwrap_err());
        assert!(error.contains("symbolic links"), "{error}");
        assert_eq!(
            names_in(dir.path()),
            ["a", "b", "link", "sub", "target.json"]
        );
    }

    #[test]
    #[cfg(unix)]
    fn the_same_file_is_found_however_it_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("sub")).unwrap();
        let new = d.join("new.json");
        assert!(same_file(&new, &d.join("sub/../new.json")));
        assert!(!same_file(&new, &d.join("other.json")));
        std::os::unix::fs::symlink("new.json", d.join("to-new")).unwrap();
        assert!(same_file(&new, &d.join("to-new")), "a dangling link");
        fs::write(&new, b"").unwrap();
        assert!(same_file(&new, &d.join("to-new")), "a link");
        fs::hard_link(&new, d.join("hard")).unwrap();
        assert!(same_file(&d.join("hard"), &d.join("to-new")), "a hard link");
        fs::write(d.join("other.json"), b"").unwrap();
        assert!(!same_file(&new, &d.join("other.json")));
        assert!(!same_file(&new, &d.join("missing/new.json")));
    }
}

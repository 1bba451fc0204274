//! Every file gostuck writes goes through here, so that it never writes
//! through a symbolic link it was not asked to follow and never replaces a
//! file the user did not name.
//!
//! - Files gostuck names itself inside a directory the user gave (`--save
//!   DIR`): created exclusively; an existing entry (a file, or a symbolic link,
//!   dangling or not) is refused unless `--force`, and then replaced by a
//!   rename, which replaces the link itself and never writes where it points.
//! - Files the user named (`-o FILE`, `--pprof-sync FILE`): an existing
//!   regular file is replaced (the user named it); a symbolic link is written
//!   through only with `--force`, as that is then what the user asked for.
//! - Temporary files and directories: `tempfile`'s unpredictable names,
//!   created exclusively, never a fixed name under the shared temp directory.
//!
//! Content is written to a temporary file in the destination's directory and
//! renamed into place when complete, so a reader never sees half a report and
//! an interrupted write leaves nothing behind.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::{Error, Result};

/// Who chose the destination's name: this decides what may be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    /// The user named this file (`-o FILE`): an existing regular file is
    /// replaced; a symbolic link is followed only with `force`.
    ByUser,
    /// gostuck chose the name inside a directory the user gave (`--save`):
    /// nothing existing is replaced without `force`, links never followed.
    ByGostuck,
}

/// A file being written; it appears at its destination on [`OutFile::commit`]
/// and not before (dropped uncommitted, it is removed).
pub struct OutFile {
    tmp: Option<NamedTempFile>,
    /// A device or FIFO the user named (`-o /dev/null`): written in place.
    direct: Option<fs::File>,
    /// Where the content goes when committed.
    dest: PathBuf,
    /// Replace what is at `dest` (checked to be allowed already).
    replace: bool,
    /// `dest` is a symbolic link the user asked to write through: its target.
    through_link: Option<PathBuf>,
}

impl OutFile {
    /// Starts writing `dest`, checking first that it may be written at all, so
    /// that a refusal comes before any work (a trace recorded for a minute).
    pub fn create(dest: &Path, named: Named, force: bool) -> Result<OutFile> {
        let (replace, through_link) = check(dest, named, force)?;
        if is_device(dest, named) {
            let f = fs::OpenOptions::new()
                .write(true)
                .open(dest)
                .map_err(Error::file(dest, "cannot open"))?;
            return Ok(OutFile {
                tmp: None,
                direct: Some(f),
                dest: dest.to_path_buf(),
                replace,
                through_link,
            });
        }
        let target = through_link.as_deref().unwrap_or(dest);
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // The mode a plain `create` would give (0666 less the umask), or
        // the replaced file's own: a report is not made private by the way
        // it is written.
        let mode = fs::metadata(target)
            .ok()
            .filter(|m| m.is_file())
            .map_or_else(new_file_mode, |m| {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o7777
            });
        let tmp = tempfile::Builder::new()
            .prefix(".gostuck-")
            .suffix(".part")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
            .tempfile_in(&dir)
            .map_err(Error::file(&dir, "cannot create a file in this directory"))?;
        Ok(OutFile {
            tmp: Some(tmp),
            direct: None,
            dest: dest.to_path_buf(),
            replace,
            through_link,
        })
    }

    /// Writes everything and commits.
    pub fn write_all(dest: &Path, named: Named, force: bool, bytes: &[u8]) -> Result<()> {
        let mut f = OutFile::create(dest, named, force)?;
        f.write_all(bytes)
            .map_err(Error::file(dest, "cannot write"))?;
        f.commit()
    }

    /// Puts the written content at the destination.
    pub fn commit(mut self) -> Result<()> {
        if let Some(f) = self.direct.take() {
            drop(f);
            return Ok(());
        }
        let Some(tmp) = self.tmp.take() else {
            return Err(Error::Refused(format!(
                "{}: already committed",
                self.dest.display()
            )));
        };
        tmp.as_file()
            .sync_all()
            .map_err(Error::file(&self.dest, "cannot write"))?;
        let target = self
            .through_link
            .clone()
            .unwrap_or_else(|| self.dest.clone());
        let res = if self.replace {
            tmp.persist(&target).map(|_| ())
        } else {
            // Created since the check (a race, or an attacker): still refused.
            tmp.persist_noclobber(&target).map(|_| ())
        };
        res.map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                Error::Refused(format!(
                    "{}: appeared while gostuck was writing it; not replaced (pass --force to replace it)",
                    self.dest.display()
                ))
            } else {
                Error::file(&self.dest, "cannot write")(e.error)
            }
        })
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match (&mut self.tmp, &mut self.direct) {
            (Some(t), _) => t.write(buf),
            (None, Some(f)) => f.write(buf),
            (None, None) => Err(io::Error::other("already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match (&mut self.tmp, &mut self.direct) {
            (Some(t), _) => t.flush(),
            (None, Some(f)) => f.flush(),
            (None, None) => Ok(()),
        }
    }
}

/// Whether `dest` may be written: `(replace an existing entry, the link
/// target to write through)`, or why not.
fn check(dest: &Path, named: Named, force: bool) -> Result<(bool, Option<PathBuf>)> {
    let meta = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((false, None)),
        Err(e) => return Err(Error::file(dest, "cannot inspect")(e)),
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        let to = fs::read_link(dest).map_or_else(|_| "?".to_string(), |p| p.display().to_string());
        return match (named, force) {
            (Named::ByUser, true) => {
                let target = fs::canonicalize(dest).or_else(|_| {
                    // A dangling link: its target is to be created.
                    fs::read_link(dest).map(|t| match dest.parent() {
                        Some(p) if t.is_relative() => p.join(t),
                        _ => t,
                    })
                });
                let target = target.map_err(Error::file(dest, "cannot follow"))?;
                let (replace, _) = check(&target, Named::ByUser, false)?;
                Ok((replace, Some(target)))
            }
            (Named::ByGostuck, true) => Ok((true, None)),
            (_, false) => Err(Error::Refused(format!(
                "{} is a symbolic link (to {to}); gostuck does not write through links: remove it, pick another path, or pass --force{}",
                dest.display(),
                if named == Named::ByUser {
                    " to write to where it points"
                } else {
                    " to replace the link itself"
                }
            ))),
        };
    }
    if named == Named::ByUser && is_special(&ft) {
        return Ok((false, None));
    }
    if !ft.is_file() {
        return Err(Error::Refused(format!(
            "{} exists and is not a regular file; not replaced",
            dest.display()
        )));
    }
    match (named, force) {
        (Named::ByUser, _) | (Named::ByGostuck, true) => Ok((true, None)),
        (Named::ByGostuck, false) => Err(Error::Refused(format!(
            "{} exists; not replaced (pass --force to replace it, or --save another directory)",
            dest.display()
        ))),
    }
}

/// 0666 less the process's umask, as `open(O_CREAT, 0666)` would make a new
/// file (read from /proc/self/status: asking the kernel for the umask
/// means setting it, racy in a threaded program); 0644 when unknown.
fn new_file_mode() -> u32 {
    let umask = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
    });
    0o666 & !umask.unwrap_or(0o022)
}

/// A character device or FIFO (`/dev/null`, a named pipe): written in place.
fn is_special(ft: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_char_device() || ft.is_fifo()
}

/// `dest` is a device or FIFO the user named (not through a link).
fn is_device(dest: &Path, named: Named) -> bool {
    named == Named::ByUser && fs::symlink_metadata(dest).is_ok_and(|m| is_special(&m.file_type()))
}

/// A new private directory under the system's temp directory (unpredictable
/// name, created exclusively, mode 0700) that is kept after gostuck exits:
/// for files the user is told about and reads later.
pub fn kept_temp_dir(prefix: &str) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::Builder::new()
        .prefix(prefix)
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(Error::TempDir)?;
    Ok(d.keep())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn a_file_gostuck_names_is_created_but_never_replaced_without_force() {
        let d = dir();
        let p = d.path().join("goroutine-debug2.txt");
        OutFile::write_all(&p, Named::ByGostuck, false, b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        let err = OutFile::write_all(&p, Named::ByGostuck, false, b"two").unwrap_err();
        assert!(format!("{err:#}").contains("--force"), "{err:#}");
        assert_eq!(fs::read(&p).unwrap(), b"one");
        OutFile::write_all(&p, Named::ByGostuck, true, b"three").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
    }

    #[test]
    fn a_link_in_the_save_directory_is_never_written_through() {
        let d = dir();
        let outside = dir();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let p = d.path().join("trace.out");
        symlink(&victim, &p).unwrap();
        let err = OutFile::write_all(&p, Named::ByGostuck, false, b"evil").unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        // With --force the link itself is replaced, its target untouched.
        OutFile::write_all(&p, Named::ByGostuck, true, b"data").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&p).unwrap(), b"data");
    }

    #[test]
    fn a_dangling_link_is_refused_too() {
        let d = dir();
        let outside = dir();
        let p = d.path().join("x.txt");
        symlink(outside.path().join("new"), &p).unwrap();
        assert!(OutFile::write_all(&p, Named::ByGostuck, false, b"x").is_err());
        assert!(OutFile::write_all(&p, Named::ByUser, false, b"x").is_err());
        assert!(!outside.path().join("new").exists());
    }

    #[test]
    fn a_user_named_file_is_replaced_and_a_user_named_link_followed_only_with_force() {
        let d = dir();
        let p = d.path().join("report.json");
        fs::write(&p, b"old").unwrap();
        OutFile::write_all(&p, Named::ByUser, false, b"new").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");

        let outside = dir();
        let target = outside.path().join("real.json");
        fs::write(&target, b"old").unwrap();
        let link = d.path().join("link.json");
        symlink(&target, &link).unwrap();
        let err = OutFile::write_all(&link, Named::ByUser, false, b"x").unwrap_err();
        assert!(format!("{err:#}").contains("--force"), "{err:#}");
        assert_eq!(fs::read(&target).unwrap(), b"old");
        OutFile::write_all(&link, Named::ByUser, true, b"through").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"through");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_new_report_gets_the_usual_mode_and_a_replaced_one_keeps_its_own() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir();
        let p = d.path().join("new.json");
        OutFile::write_all(&p, Named::ByUser, false, b"x").unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, new_file_mode(), "{mode:o}");
        // Not the private 0600 of a temporary file, unless the umask says so.
        if new_file_mode() & 0o044 != 0 {
            assert_ne!(mode & 0o044, 0, "{mode:o}");
        }
        let q = d.path().join("kept.json");
        fs::write(&q, b"old").unwrap();
        fs::set_permissions(&q, fs::Permissions::from_mode(0o640)).unwrap();
        OutFile::write_all(&q, Named::ByUser, false, b"new").unwrap();
        assert_eq!(
            fs::metadata(&q).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_behind() {
        let d = dir();
        let p = d.path().join("half.txt");
        {
            let mut f = OutFile::create(&p, Named::ByUser, false).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!p.exists());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn kept_temp_dirs_are_private_and_new() {
        use std::os::unix::fs::PermissionsExt;
        let a = kept_temp_dir("gostuck-test-").unwrap();
        let b = kept_temp_dir("gostuck-test-").unwrap();
        assert_ne!(a, b);
        let mode = fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::remove_dir(&a).unwrap();
        fs::remove_dir(&b).unwrap();
    }

    #[test]
    fn a_directory_is_never_replaced_and_a_named_device_is_written_in_place() {
        let d = dir();
        assert!(OutFile::write_all(d.path(), Named::ByUser, true, b"x").is_err());
        assert!(OutFile::write_all(Path::new("/dev/null"), Named::ByGostuck, true, b"x").is_err());
        OutFile::write_all(Path::new("/dev/null"), Named::ByUser, false, b"x").unwrap();
        assert!(Path::new("/dev/null").exists());
    }
}

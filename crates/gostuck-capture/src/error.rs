//! The errors of capturing and writing.

use std::io;
use std::path::PathBuf;

/// What went wrong; the message names the file or URL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation failed (`{path}: cannot open`, `…: cannot write`).
    #[error("{}: {action}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What was tried.
        action: &'static str,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// A file that is not to be written (a link, an existing file gostuck
    /// named, something not a regular file).
    #[error("{0}")]
    Refused(String),
    /// The temporary directory could not be made.
    #[error("cannot create a temporary directory")]
    TempDir(#[source] io::Error),
    /// An HTTP request failed or was answered with an error.
    #[error("{0}")]
    Http(String),
    /// The command could not be started.
    #[error("cannot run `{command}`")]
    Spawn {
        /// The command line, quoted for a shell.
        command: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// The command's process ID is not one a process group can have.
    #[error("the command's process ID")]
    Pid,
    /// Waiting for the command failed.
    #[error("waiting for the command")]
    Wait(#[source] io::Error),
    /// A fetched profile is not a goroutine dump the readers accept.
    #[error("{url}")]
    Dump {
        /// Where it came from.
        url: String,
        /// Why it was refused.
        #[source]
        source: gostuck_dump::Error,
    },
    /// A fetched profile held no goroutine dump.
    #[error("{0}: no goroutine dump in the response")]
    NoDumpIn(String),
    /// Reading an HTTP response failed.
    #[error("{url}: reading the response")]
    Body {
        /// The request's URL.
        url: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn file(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::File {
            path,
            action,
            source,
        }
    }
}

/// The error and its causes joined by `: `, each cause said once: an error
/// that already quotes its cause (`read failed: <io error>`) is not followed
/// by that cause again. The one way gostuck shows an error chain.
#[must_use]
pub fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = String::new();
    let mut next = Some(e);
    while let Some(cause) = next {
        let text = cause.to_string();
        if !msg.ends_with(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
        next = cause.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_quoted_is_not_repeated() {
        let io = || io::Error::new(io::ErrorKind::IsADirectory, "Is a directory");
        let e = Error::File {
            path: "d".into(),
            action: "cannot open",
            source: io(),
        };
        assert_eq!(error_text(&e), "d: cannot open: Is a directory");
        let e = Error::TempDir(io());
        assert_eq!(
            error_text(&e),
            "cannot create a temporary directory: Is a directory"
        );
        #[derive(Debug, thiserror::Error)]
        #[error("read failed: {0}")]
        struct Quoting(#[source] io::Error);
        assert_eq!(error_text(&Quoting(io())), "read failed: Is a directory");
    }
}

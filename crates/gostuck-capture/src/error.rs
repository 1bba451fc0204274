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

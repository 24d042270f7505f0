//! Where an import's bytes come from: an upload already in memory, or a file on disk that each
//! pass over the file opens again, so a large file is never held whole (issue #14: a million
//! rows imported in bounded memory).

use std::io::Read;
use std::path::PathBuf;

/// The file being imported.
#[derive(Debug, Clone)]
pub enum ImportFile {
    /// An upload, held by the web request anyway.
    Bytes(Vec<u8>),
    /// A file on disk (the command line), read in passes and never loaded whole.
    Path(PathBuf),
}

impl From<Vec<u8>> for ImportFile {
    fn from(bytes: Vec<u8>) -> Self {
        ImportFile::Bytes(bytes)
    }
}

impl From<PathBuf> for ImportFile {
    fn from(path: PathBuf) -> Self {
        ImportFile::Path(path)
    }
}

impl ImportFile {
    /// Size in bytes.
    pub fn len(&self) -> std::io::Result<u64> {
        match self {
            ImportFile::Bytes(b) => Ok(b.len() as u64),
            ImportFile::Path(p) => Ok(std::fs::metadata(p)?.len()),
        }
    }

    pub fn is_empty(&self) -> std::io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// A reader from the first byte (a new one for every pass).
    pub(crate) fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        match self {
            ImportFile::Bytes(b) => Ok(Box::new(b.as_slice())),
            ImportFile::Path(p) => Ok(Box::new(std::fs::File::open(p)?)),
        }
    }

    /// The whole file (for the small files that are parsed at once, such as accounts).
    pub(crate) fn into_bytes(self) -> std::io::Result<Vec<u8>> {
        match self {
            ImportFile::Bytes(b) => Ok(b),
            ImportFile::Path(p) => std::fs::read(p),
        }
    }
}

//! Scratch directories for tests, from `tempfile`: each is removed when
//! its owner is dropped, also when the test fails (a panic unwinds). What
//! lives as long as the test process (the empty `HOME` and AWS config the
//! product's processes get) is in one process-wide
//! directory, which statics never drop: `scripts/test` gives the whole run
//! a `TMPDIR` of its own and removes it at the end.
//!
//! Both deref to their path. Keep the [`Scratch`] while its files are
//! used: `scratch("x").join("y")` names a file in a directory removed at
//! the end of that statement; write `scratch("x").file("y")`, a
//! [`ScratchFile`] that owns its directory (and is what a helper returning
//! one path returns).

use std::{
    ffi::OsStr,
    path::{Path, PathBuf},
};

use tempfile::TempDir;

/// A directory of one test's own, removed on drop.
#[derive(Debug)]
pub struct Scratch(TempDir);

/// Creates a fresh, empty directory, `$TMPDIR/glue-codeartifact-NAME-XXXXXX`.
pub fn scratch(name: &str) -> Scratch {
    let dir = tempfile::Builder::new()
        .prefix(&format!("glue-codeartifact-{name}-"))
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a scratch directory for {name}: {e}"));
    Scratch(dir)
}

impl Scratch {
    /// The directory.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// A file path `name` inside the directory, which it keeps alive.
    pub fn file(self, name: impl AsRef<Path>) -> ScratchFile {
        let path = self.path().join(name);
        ScratchFile { _dir: self, path }
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<OsStr> for Scratch {
    fn as_ref(&self) -> &OsStr {
        self.path().as_os_str()
    }
}

/// A path in a [`Scratch`] directory of its own (removed on drop).
#[derive(Debug)]
pub struct ScratchFile {
    _dir: Scratch,
    path: PathBuf,
}

impl ScratchFile {
    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::ops::Deref for ScratchFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for ScratchFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for ScratchFile {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

/// The process-wide directory (see the module's doc), for what must live
/// as long as the test process (what a `static` holds).
pub fn process_dir() -> &'static Path {
    static ROOT: std::sync::OnceLock<TempDir> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("glue-codeartifact-test-process-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create the test process's directory: {e}"))
    })
    .path()
}

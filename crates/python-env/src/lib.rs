//! What glue-codeartifact knows of the Python environments of AWS Glue,
//! as pure data and logic (no I/O, no SDK types).
//!
//! - [`runtime`]: the table of Glue runtimes (Glue 4.0, 5.0, 5.1, 6.0 and
//!   Python shell 3.9): Python, uv platform, glibc, the modules Glue
//!   already provides and the module forms each accepts, each row citing
//!   its AWS source; and the lookup from a job's type and versions to a
//!   row.
//! - [`lock`]: the PEP 751 lock (`pylock.toml`) glue-codeartifact writes
//!   and reads: one wheel per package, hashes, no credentials, the runtime
//!   it was made for, and the order to install in.
//! - [`pep508`]: the one way into PEP 508 parsing, which never panics;
//! - [`requirements`]: a `requirements.txt` read into the requirements to
//!   lock;
//! - [`wheel`]: distribution file names and wheel-tag compatibility with a
//!   Glue worker.
//!
//! ```
//! use glue_codeartifact_python_env::runtime::{self, JobType};
//! use glue_codeartifact_python_env::wheel::{DistFilename, DistKind, compatibility, Compatibility};
//!
//! let glue4 = runtime::lookup(JobType::Spark, Some("4.0"), None, None)?;
//! let file = DistFilename::parse("numpy-2.0.0-cp310-cp310-manylinux_2_28_x86_64.whl").unwrap();
//! let DistKind::Wheel(tags) = file.kind else { unreachable!() };
//! // Amazon Linux 2 has glibc 2.26.
//! assert_eq!(compatibility(&tags, &glue4.python), Compatibility::Glibc);
//! # Ok::<(), runtime::RuntimeError>(())
//! ```

#![deny(missing_docs)]

pub mod lock;
pub mod pep508;
pub mod requirements;
pub mod runtime;
pub mod wheel;

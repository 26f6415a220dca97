//! An optional upstream: a `public:pypi`-like external connection that
//! every repository falls back to for projects it has no files of.
//!
//! What is modelled, each from the CodeArtifact user guide or a report:
//!
//! - **Package origin controls.** A project with a file in the
//!   repository's own directory was "published directly": its upstream is
//!   blocked, and only the repository's own files are listed (guide,
//!   "Editing package origin controls": "If the first package version is
//!   published directly by a package manager, the settings will be
//!   Publish: ALLOW and Upstream: BLOCK").
//! - **The regional metadata cache.** Which versions of an upstream
//!   project are served comes from a per-region cache that imports new
//!   versions "at most once every 3 hours"; for a project not requested
//!   since, "on the first request, only previously imported versions will
//!   be available … but this request will cause the cache to be updated.
//!   On subsequent requests, the new versions … will be available" (guide,
//!   "Requesting packages from external connections", section
//!   "Availability of new package versions": up to 3 hours for Python).
//!   Here a file of the upstream directory is a version published at its
//!   modification time; the cache starts as imported at
//!   [`Upstream::imported_at`] (the emulator's start by default) and
//!   counts as expired, so the first request for a project lists only the
//!   files older than that and imports the rest, on the emulator's clock.
//! - **Failures and slowness of a first fetch.** Index requests for a
//!   project that is not in the repository yet and must come from the
//!   upstream fail now and then with 500 (astral-sh/uv#8957: "failures
//!   happen only when looking for package that is not available directly
//!   in repository and has to be fetched from upstream repository (pypi)",
//!   reproduced with the repositories recreated between runs), and "fetching
//!   packages is much slower than normal" when the public repository has
//!   trouble (guide, "CodeArtifact behavior when an external repository is
//!   not available"). [`Upstream::fail_first_fetch`] answers the first
//!   request for each such project with 500, once;
//!   [`Upstream::first_fetch_latency`] delays every request for it until
//!   one succeeded (then the project is in the repository).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::config::Upstream;
use crate::packages::PackageFile;

/// What an upstream request amounts to.
#[derive(Debug)]
pub(crate) enum Fetch {
    /// The upstream's answer failed (500 once, [`Upstream::fail_first_fetch`]).
    Failed,
    /// The project's files as the regional cache lists them (may be empty).
    Files(Vec<Arc<PackageFile>>),
}

/// The upstream's state: the regional cache's imports and which projects
/// each repository has fetched.
#[derive(Debug)]
pub(crate) struct UpstreamState {
    pub config: Upstream,
    /// When the regional cache starts as imported (files modified later are
    /// versions published since).
    seeded_at: SystemTime,
    /// Project → when the regional cache last imported its versions
    /// (emulator clock). Absent: imported at `seeded_at`, and expired.
    imports: Mutex<HashMap<String, SystemTime>>,
    /// (domain, repository, project) → whether a request already reached
    /// the upstream (`false`: it failed) or the project is in the
    /// repository (`true`).
    fetched: Mutex<HashMap<(String, String, String), bool>>,
}

impl UpstreamState {
    pub fn new(config: Upstream, now: SystemTime) -> Self {
        UpstreamState {
            seeded_at: config.imported_at.unwrap_or(now),
            config,
            imports: Mutex::new(HashMap::new()),
            fetched: Mutex::new(HashMap::new()),
        }
    }

    /// Whether requests for `project` of `domain`/`repo` still reach the
    /// upstream, i.e. pay [`Upstream::first_fetch_latency`].
    pub fn is_first_fetch(&self, domain: &str, repo: &str, project: &str) -> bool {
        let key = (domain.to_owned(), repo.to_owned(), project.to_owned());
        !self
            .fetched
            .lock()
            .expect("upstream lock")
            .get(&key)
            .copied()
            .unwrap_or(false)
    }

    /// A project page's request: `files` are the upstream directory's
    /// files of `project`; answers what the repository lists at `now`, and
    /// updates the regional cache and the repository's fetch state.
    pub fn page(
        &self,
        domain: &str,
        repo: &str,
        project: &str,
        files: Vec<Arc<PackageFile>>,
        now: SystemTime,
    ) -> Fetch {
        let key = (domain.to_owned(), repo.to_owned(), project.to_owned());
        {
            let mut fetched = self.fetched.lock().expect("upstream lock");
            if self.config.fail_first_fetch && !fetched.contains_key(&key) {
                fetched.insert(key, false);
                return Fetch::Failed;
            }
        }
        let cutoff = self.import(project, now);
        let visible: Vec<_> = files
            .into_iter()
            .filter(|f| f.uploaded.is_none_or(|t| t <= cutoff))
            .collect();
        if !visible.is_empty() {
            self.fetched
                .lock()
                .expect("upstream lock")
                .insert(key, true);
        }
        Fetch::Files(visible)
    }

    /// The files of `project` a file request may be served from: those the
    /// regional cache has imported, without triggering an import.
    pub fn imported(&self, project: &str, files: Vec<Arc<PackageFile>>) -> Vec<Arc<PackageFile>> {
        let cutoff = self
            .imports
            .lock()
            .expect("upstream lock")
            .get(project)
            .copied()
            .unwrap_or(self.seeded_at);
        files
            .into_iter()
            .filter(|f| f.uploaded.is_none_or(|t| t <= cutoff))
            .collect()
    }

    /// The regional cache's cut-off for `project` as this request sees it;
    /// imports the newer versions (for later requests) when the cache has
    /// expired.
    fn import(&self, project: &str, now: SystemTime) -> SystemTime {
        let mut imports = self.imports.lock().expect("upstream lock");
        match imports.get(project).copied() {
            Some(at)
                if now
                    .duration_since(at)
                    .is_ok_and(|age| age < self.config.cache_lifetime) =>
            {
                at
            }
            previous => {
                imports.insert(project.to_owned(), now);
                previous.unwrap_or(self.seeded_at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn file(version: &str, uploaded: SystemTime) -> Arc<PackageFile> {
        Arc::new(PackageFile {
            filename: format!("pub-{version}.tar.gz"),
            project: "pub".into(),
            version: version.into(),
            path: PathBuf::from("/nonexistent"),
            size: 0,
            sha256: String::new(),
            md5: String::new(),
            uploaded: Some(uploaded),
            yanked: None,
            requires_python: None,
        })
    }

    fn versions(fetch: Fetch) -> Vec<String> {
        match fetch {
            Fetch::Files(files) => files.iter().map(|f| f.version.clone()).collect(),
            Fetch::Failed => vec!["500".into()],
        }
    }

    #[test]
    fn newer_versions_appear_from_the_second_request_and_then_every_three_hours() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Duration::from_secs(3_600);
        let upstream = UpstreamState::new(Upstream::new(PathBuf::from("/x")), t0);
        let files = || vec![file("1.0", t0 - hour), file("2.0", t0 + hour)];
        let page = |now| versions(upstream.page("acme", "repo", "pub", files(), now));
        // First request after 2.0 was published: the stale cache.
        assert_eq!(page(t0 + 2 * hour), ["1.0"]);
        assert_eq!(page(t0 + 2 * hour), ["1.0", "2.0"]);
        // 3.0 published now: not before the cache expires and one more request.
        let with_3 = || {
            let mut f = files();
            f.push(file("3.0", t0 + 3 * hour));
            f
        };
        let page3 = |now| versions(upstream.page("acme", "repo", "pub", with_3(), now));
        assert_eq!(page3(t0 + 4 * hour), ["1.0", "2.0"]);
        assert_eq!(page3(t0 + 5 * hour), ["1.0", "2.0"]);
        assert_eq!(page3(t0 + 5 * hour), ["1.0", "2.0", "3.0"]);
    }

    #[test]
    fn the_first_fetch_fails_once_per_repository_and_project() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let upstream = UpstreamState::new(
            Upstream {
                fail_first_fetch: true,
                ..Upstream::new(PathBuf::from("/x"))
            },
            t0,
        );
        let old = || vec![file("1.0", t0 - Duration::from_secs(1))];
        let page = |repo| versions(upstream.page("acme", repo, "pub", old(), t0));
        assert!(upstream.is_first_fetch("acme", "a", "pub"));
        assert_eq!(page("a"), ["500"]);
        assert!(upstream.is_first_fetch("acme", "a", "pub"));
        assert_eq!(page("a"), ["1.0"]);
        assert!(!upstream.is_first_fetch("acme", "a", "pub"));
        assert_eq!(page("a"), ["1.0"]);
        assert_eq!(page("b"), ["500"]);
        assert_eq!(page("b"), ["1.0"]);
    }
}

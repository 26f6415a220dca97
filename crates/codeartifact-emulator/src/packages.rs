//! The packages a repository serves: the `*.whl`, `*.tar.gz` and `*.zip`
//! files of its directory, with project names, versions, hashes and
//! `Requires-Python`.
//!
//! The directory is read again on every request, so tests may add files
//! while the emulator runs; a file's hash and metadata are cached by path,
//! size and modification time.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// Largest metadata file or decompressed sdist the emulator reads for `Requires-Python`.
const METADATA_LIMIT: usize = 64 << 20;

/// One distribution file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFile {
    /// The file name, e.g. `acme_tools-1.2.0-py3-none-any.whl`.
    pub filename: String,
    /// The normalized project name (PEP 503), e.g. `acme-tools`.
    pub project: String,
    /// The version from the file name.
    pub version: String,
    /// Where the file is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// Its MD5, lowercase hex (CodeArtifact lists both).
    pub md5: String,
    /// When it was "uploaded": its modification time.
    pub uploaded: Option<SystemTime>,
    /// Why it is yanked, if a file `FILENAME.yanked` sits next to it
    /// (its contents, trimmed, are the reason; empty means no reason).
    pub yanked: Option<String>,
    /// `Requires-Python` from its metadata, if any.
    pub requires_python: Option<String>,
}

/// PEP 503 name normalization: runs of `-`, `_` and `.` become one `-`, all lowercase.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The kinds of distribution file served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A wheel (`.whl`, PEP 427).
    Wheel,
    /// A gzipped tar source distribution (`.tar.gz`).
    SdistTarGz,
    /// A zip source distribution (`.zip`).
    SdistZip,
}

/// Splits a distribution file name into kind, project name (as written) and version.
///
/// Wheels follow PEP 427, `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`;
/// sdists are `{name}-{version}.tar.gz` or `.zip`, split at the last `-`.
pub fn parse_filename(filename: &str) -> Option<(Kind, &str, &str)> {
    let (kind, stem) = if let Some(stem) = filename.strip_suffix(".whl") {
        (Kind::Wheel, stem)
    } else if let Some(stem) = filename.strip_suffix(".tar.gz") {
        (Kind::SdistTarGz, stem)
    } else if let Some(stem) = filename.strip_suffix(".zip") {
        (Kind::SdistZip, stem)
    } else {
        return None;
    };
    let (name, version) = match kind {
        Kind::Wheel => {
            let parts: Vec<&str> = stem.split('-').collect();
            if !(parts.len() == 5 || parts.len() == 6) || parts.iter().any(|p| p.is_empty()) {
                return None;
            }
            (parts[0], parts[1])
        }
        Kind::SdistTarGz | Kind::SdistZip => stem.rsplit_once('-')?,
    };
    let valid_version = version.starts_with(|c: char| c.is_ascii_alphanumeric());
    (!name.is_empty() && valid_version).then_some((kind, name, version))
}

/// Hashes and metadata of the files seen so far.
#[derive(Debug, Default)]
pub struct PackageCache {
    entries: Mutex<HashMap<PathBuf, CacheEntry>>,
}

#[derive(Debug)]
struct CacheEntry {
    modified: Option<SystemTime>,
    size: u64,
    file: Arc<PackageFile>,
}

impl PackageCache {
    /// Lists the distribution files in `dir`, sorted by file name. Hidden
    /// files and names that are not distribution files are skipped.
    pub fn scan(&self, dir: &Path) -> io::Result<Vec<Arc<PackageFile>>> {
        let mut files = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let Ok(filename) = entry.file_name().into_string() else {
                continue;
            };
            if filename.starts_with('.') {
                continue;
            }
            let Some((kind, name, version)) = parse_filename(&filename) else {
                continue;
            };
            let meta = entry.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let path = entry.path();
            let modified = meta.modified().ok();
            let size = meta.len();
            {
                let entries = self.entries.lock().expect("package cache lock");
                if let Some(hit) = entries.get(&path)
                    && hit.modified == modified
                    && hit.size == size
                {
                    files.push(with_yanked(Arc::clone(&hit.file)));
                    continue;
                }
            }
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                // Removed between listing and reading: not served.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let file = Arc::new(PackageFile {
                project: normalize(name),
                version: version.to_owned(),
                path: path.clone(),
                size: bytes.len() as u64,
                sha256: hex(&Sha256::digest(&bytes)),
                md5: hex(&md5::Md5::digest(&bytes)),
                uploaded: modified,
                yanked: None,
                requires_python: requires_python(kind, &bytes),
                filename,
            });
            self.entries.lock().expect("package cache lock").insert(
                path,
                CacheEntry {
                    modified,
                    size,
                    file: Arc::clone(&file),
                },
            );
            files.push(with_yanked(file));
        }
        files.sort_by(|a, b| a.filename.cmp(&b.filename));
        Ok(files)
    }
}

/// `file`, marked yanked when `FILENAME.yanked` exists (read on every scan,
/// so a test can yank and unyank while the emulator runs).
fn with_yanked(file: Arc<PackageFile>) -> Arc<PackageFile> {
    let mut marker = file.path.clone().into_os_string();
    marker.push(".yanked");
    match fs::read_to_string(&marker) {
        Ok(reason) => Arc::new(PackageFile {
            yanked: Some(reason.trim().to_owned()),
            ..(*file).clone()
        }),
        Err(_) => file,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Requires-Python` from a distribution's metadata (`*.dist-info/METADATA`
/// in a wheel, `*/PKG-INFO` in an sdist); `None` when absent or unreadable.
fn requires_python(kind: Kind, bytes: &[u8]) -> Option<String> {
    let metadata = match kind {
        Kind::Wheel => zip_entry(bytes, |name| {
            name.split_once('/')
                .is_some_and(|(dir, file)| dir.ends_with(".dist-info") && file == "METADATA")
        })?,
        Kind::SdistZip => zip_entry(bytes, is_top_level_pkg_info)?,
        Kind::SdistTarGz => tar_entry(&gunzip(bytes)?, is_top_level_pkg_info)?,
    };
    metadata_field(&String::from_utf8_lossy(&metadata), "Requires-Python")
}

fn is_top_level_pkg_info(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(dir, file)| !dir.is_empty() && file == "PKG-INFO")
}

/// The value of the first `field` header of a core metadata file (RFC 822 style).
pub fn metadata_field(metadata: &str, field: &str) -> Option<String> {
    metadata
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(field))
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()
}

/// The contents of the first entry of a zip archive whose name matches
/// (stored or deflated; no zip64).
fn zip_entry(zip: &[u8], wanted: impl Fn(&str) -> bool) -> Option<Vec<u8>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const CENTRAL: &[u8] = b"PK\x01\x02";
    const LOCAL: &[u8] = b"PK\x03\x04";
    // The end-of-central-directory record is 22 bytes plus a comment of up to 64 KiB.
    let search_from = zip.len().saturating_sub(22 + 0xffff);
    let eocd = search_from + zip[search_from..].windows(4).rposition(|w| w == EOCD)?;
    let entries = u16_at(zip, eocd + 10)?;
    let mut at = u32_at(zip, eocd + 16)?;
    for _ in 0..entries {
        if zip.get(at..at + 4)? != CENTRAL {
            return None;
        }
        let method = u16_at(zip, at + 10)?;
        let compressed = u32_at(zip, at + 20)?;
        let name_len = u16_at(zip, at + 28)?;
        let extra_len = u16_at(zip, at + 30)?;
        let comment_len = u16_at(zip, at + 32)?;
        let local = u32_at(zip, at + 42)?;
        let name = std::str::from_utf8(zip.get(at + 46..at + 46 + name_len)?).ok()?;
        if wanted(name) {
            if zip.get(local..local + 4)? != LOCAL {
                return None;
            }
            let start = local + 30 + u16_at(zip, local + 26)? + u16_at(zip, local + 28)?;
            let data = zip.get(start..start + compressed)?;
            return match method {
                0 => Some(data.to_vec()),
                8 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, METADATA_LIMIT).ok(),
                _ => None,
            };
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    None
}

/// Decompresses a gzip file (RFC 1952).
fn gunzip(gz: &[u8]) -> Option<Vec<u8>> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if gz.get(0..3)? != [0x1f, 0x8b, 8] {
        return None;
    }
    let flags = *gz.get(3)?;
    let mut at = 10;
    if flags & FEXTRA != 0 {
        at += 2 + u16_at(gz, at)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            at += gz.get(at..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    miniz_oxide::inflate::decompress_to_vec_with_limit(gz.get(at..)?, METADATA_LIMIT).ok()
}

/// The contents of the first regular file of a tar archive whose name matches.
fn tar_entry(tar: &[u8], wanted: impl Fn(&str) -> bool) -> Option<Vec<u8>> {
    fn field(header: &[u8]) -> &str {
        let end = header.iter().position(|&b| b == 0).unwrap_or(header.len());
        std::str::from_utf8(&header[..end]).unwrap_or("")
    }
    let mut at = 0;
    while let Some(header) = tar.get(at..at + 512) {
        if header.iter().all(|&b| b == 0) {
            return None;
        }
        let size = usize::from_str_radix(field(&header[124..136]).trim(), 8).ok()?;
        let prefix = field(&header[345..500]);
        let name = field(&header[0..100]);
        let name = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let regular = matches!(header[156], b'0' | 0);
        let data = at + 512;
        if regular && wanted(name.trim_start_matches("./")) {
            return tar.get(data..data + size).map(<[u8]>::to_vec);
        }
        at = data + size.div_ceil(512) * 512;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(normalize("Acme_Tools"), "acme-tools");
        assert_eq!(normalize("acme.tools"), "acme-tools");
        assert_eq!(normalize("ACME--__..tools"), "acme-tools");
        assert_eq!(normalize("friendly-bard"), "friendly-bard");
        assert_eq!(normalize("Friendly.Bard_2"), "friendly-bard-2");
    }

    #[test]
    fn parses_file_names() {
        assert_eq!(
            parse_filename("acme_tools-1.2.0-py3-none-any.whl"),
            Some((Kind::Wheel, "acme_tools", "1.2.0"))
        );
        assert_eq!(
            parse_filename("acme_tools-1.2.0-1build-cp311-cp311-manylinux_2_17_x86_64.whl"),
            Some((Kind::Wheel, "acme_tools", "1.2.0"))
        );
        assert_eq!(
            parse_filename("acme-tools-1.2.0.tar.gz"),
            Some((Kind::SdistTarGz, "acme-tools", "1.2.0"))
        );
        assert_eq!(
            parse_filename("acme_tools-1.2.0.zip"),
            Some((Kind::SdistZip, "acme_tools", "1.2.0"))
        );
        assert_eq!(parse_filename("acme_tools-1.2.0-py3-none.whl"), None);
        assert_eq!(parse_filename("acme_tools.tar.gz"), None);
        assert_eq!(parse_filename("README.md"), None);
        assert_eq!(parse_filename("acme-.tar.gz"), None);
    }

    #[test]
    fn reads_metadata_fields() {
        let metadata = "Metadata-Version: 2.1\nName: acme-tools\nrequires-python:  >=3.8 \n\nRequires-Python: body\n";
        assert_eq!(
            metadata_field(metadata, "Requires-Python").as_deref(),
            Some(">=3.8")
        );
        assert_eq!(metadata_field(metadata, "Summary"), None);
    }

    /// A zip with one stored entry, built by hand.
    fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
        let mut zip = Vec::new();
        let n = u16::try_from(name.len()).unwrap();
        let size = u32::try_from(data.len()).unwrap();
        zip.extend_from_slice(b"PK\x03\x04");
        zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&size.to_le_bytes());
        zip.extend_from_slice(&size.to_le_bytes());
        zip.extend_from_slice(&n.to_le_bytes());
        zip.extend_from_slice(&[0, 0]);
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(data);
        let central = zip.len();
        zip.extend_from_slice(b"PK\x01\x02");
        zip.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&size.to_le_bytes());
        zip.extend_from_slice(&size.to_le_bytes());
        zip.extend_from_slice(&n.to_le_bytes());
        zip.extend_from_slice(&[0; 12]);
        zip.extend_from_slice(&0u32.to_le_bytes());
        zip.extend_from_slice(name.as_bytes());
        let central_size = u32::try_from(zip.len() - central).unwrap();
        zip.extend_from_slice(b"PK\x05\x06");
        zip.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        zip.extend_from_slice(&central_size.to_le_bytes());
        zip.extend_from_slice(&u32::try_from(central).unwrap().to_le_bytes());
        zip.extend_from_slice(&[0, 0]);
        zip
    }

    #[test]
    fn reads_requires_python_from_a_stored_wheel() {
        let zip = stored_zip(
            "acme_tools-1.2.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: acme-tools\nRequires-Python: >=3.8\n",
        );
        assert_eq!(requires_python(Kind::Wheel, &zip).as_deref(), Some(">=3.8"));
        assert_eq!(requires_python(Kind::Wheel, b"not a zip"), None);
    }

    #[test]
    fn scan_lists_distribution_files_only() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        fs::write(dir.join("notes.txt"), b"x").unwrap();
        fs::write(dir.join(".hidden-1.0.tar.gz"), b"x").unwrap();
        fs::write(dir.join("Acme.Tools-1.0.tar.gz"), b"abc").unwrap();
        let cache = PackageCache::default();
        let files = cache.scan(dir).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].project, "acme-tools");
        assert_eq!(files[0].version, "1.0");
        assert_eq!(files[0].size, 3);
        assert_eq!(
            files[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(files[0].requires_python, None);
    }
}

//! Metadata-only stand-in wheels for the packages Glue provides.
//!
//! uv must find a distribution for every package in the tree, but a
//! private repository without an upstream usually lacks boto3 or numpy,
//! which Glue's image has anyway. A stand-in is a wheel that holds only
//! `NAME-VERSION.dist-info/METADATA` and `WHEEL`, with no dependencies: uv
//! resolves against it (with the constraint `NAME==VERSION`) and it is left
//! out of the lock (`--no-emit-package`). It is never installed.

use std::io::{Cursor, Write};

use pep508_rs::PackageName;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The file name and bytes of the stand-in for `name==version` (`display`
/// is the name as AWS spells it, for `METADATA`'s `Name`).
pub fn wheel(name: &PackageName, version: &str, display: &str) -> (String, Vec<u8>) {
    let escaped = name.as_dist_info_name();
    let dist_info = format!("{escaped}-{version}.dist-info");
    let metadata = format!(
        "Metadata-Version: 2.1\nName: {display}\nVersion: {version}\nSummary: stand-in for the {display} that AWS Glue provides (glue-codeartifact)\n\n"
    );
    let wheel_file = "Wheel-Version: 1.0\nGenerator: glue-codeartifact\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (path, body) in [
        (format!("{dist_info}/METADATA"), metadata.as_str()),
        (format!("{dist_info}/WHEEL"), wheel_file),
        (format!("{dist_info}/RECORD"), ""),
    ] {
        zip.start_file(path, options)
            .expect("writing to memory cannot fail");
        zip.write_all(body.as_bytes())
            .expect("writing to memory cannot fail");
    }
    let bytes = zip
        .finish()
        .expect("writing to memory cannot fail")
        .into_inner();
    (format!("{escaped}-{version}-py3-none-any.whl"), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_codeartifact_python_env::wheel::DistFilename;

    #[test]
    fn stand_ins_are_wheels_of_the_normalized_name() {
        let name = PackageName::new("typing_extensions".to_owned()).unwrap();
        let (file, bytes) = wheel(&name, "4.4.0", "typing_extensions");
        assert_eq!(file, "typing_extensions-4.4.0-py3-none-any.whl");
        let parsed = DistFilename::parse(&file).unwrap();
        assert_eq!(parsed.package_name(), Some(name));
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut metadata = String::new();
        std::io::Read::read_to_string(
            &mut archive
                .by_name("typing_extensions-4.4.0.dist-info/METADATA")
                .unwrap(),
            &mut metadata,
        )
        .unwrap();
        assert!(metadata.contains("Name: typing_extensions\nVersion: 4.4.0\n"));
        assert!(!metadata.contains("Requires-Dist"));
    }
}

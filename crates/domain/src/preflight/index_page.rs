//! A project page of a simple repository index, parsed.
//!
//! Two forms carry the same data: PEP 691 JSON
//! (`application/vnd.pypi.simple.v1+json`: `files[]` with `filename`, `url`,
//! `requires-python`, `yanked`) and PEP 503 HTML (one `<a>` per file, the
//! file name being the last path segment of `href`, with
//! `data-requires-python` and `data-yanked` attributes, HTML-escaped).
//!
//! The HTML is read by a small tag scanner rather than an HTML parser crate:
//! PEP 503 pages are machine-written lists of anchors, and all we need are
//! the attributes of `<a>` start tags. The scanner follows the HTML rules
//! that matter for that (case-insensitive names, quoted, single-quoted and
//! unquoted attribute values, character references, comments, raw-text
//! `<script>`/`<style>`), never panics (property-tested), and spares the
//! build an HTML5 tree builder that would do the same with far more code.
//! pip itself collects anchors the same way, with Python's tag scanner.

use percent_encoding::percent_decode_str;
use serde::Deserialize;

/// One file listed on a project page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFile {
    /// The file name, e.g. `acme_tools-1.2.0-py3-none-any.whl`.
    pub filename: String,
    /// Its `Requires-Python` metadata, when the index gives it.
    pub requires_python: Option<String>,
    /// Whether it is yanked (PEP 592).
    pub yanked: bool,
}

/// The files of one project, as an index lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectPage {
    /// The files, in page order.
    pub files: Vec<IndexFile>,
}

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the project page is not valid {format}: {reason}")]
pub struct PageError {
    /// `PEP 691 JSON` or `HTML`.
    pub format: &'static str,
    /// What was wrong.
    pub reason: String,
}

#[derive(Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Option<serde_json::Value>,
}

impl ProjectPage {
    /// Parses a PEP 691 JSON project page.
    pub fn from_json(body: &[u8]) -> Result<Self, PageError> {
        let page: JsonPage = serde_json::from_slice(body).map_err(|e| PageError {
            format: "PEP 691 JSON",
            reason: e.to_string(),
        })?;
        Ok(Self {
            files: page
                .files
                .into_iter()
                .map(|f| IndexFile {
                    filename: f.filename,
                    requires_python: f.requires_python.filter(|r| !r.trim().is_empty()),
                    // `false`, or `true` / a reason string (PEP 691).
                    yanked: match f.yanked {
                        None | Some(serde_json::Value::Null | serde_json::Value::Bool(false)) => {
                            false
                        }
                        Some(_) => true,
                    },
                })
                .collect(),
        })
    }

    /// Parses a PEP 503 HTML project page.
    pub fn from_html(body: &str) -> Self {
        let files = anchors(body)
            .into_iter()
            .filter_map(|attrs| {
                let href = attr(&attrs, "href")?;
                let filename = filename_of(href)?;
                Some(IndexFile {
                    filename,
                    requires_python: attr(&attrs, "data-requires-python")
                        .map(str::to_owned)
                        .filter(|r| !r.trim().is_empty()),
                    yanked: attr(&attrs, "data-yanked").is_some(),
                })
            })
            .collect();
        Self { files }
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The file name of a link: the last path segment, without query or
/// fragment, percent-decoded.
fn filename_of(href: &str) -> Option<String> {
    let end = href.find(['#', '?']).unwrap_or(href.len());
    let path = &href[..end];
    let segment = path.rsplit('/').next()?;
    if segment.is_empty() {
        return None;
    }
    let decoded = percent_decode_str(segment).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

/// The attributes (lowercase names, decoded values) of every `<a>` start tag.
fn anchors(html: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if rest.starts_with(['!', '?', '/']) {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
            continue;
        }
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let (attrs, after) = attributes(&rest[name_len..]);
        rest = after;
        match name.as_str() {
            "a" => out.push(attrs),
            // Raw text: a `<a` inside a script is not a link.
            "script" | "style" => {
                let close = format!("</{name}");
                rest = find_ascii_ci(rest, &close).map_or("", |i| &rest[i..]);
            }
            _ => {}
        }
    }
    out
}

/// Reads attributes up to the end of a tag; returns them and the text after `>`.
fn attributes(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut attrs = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if s.is_empty() {
            return (attrs, s);
        }
        if let Some(after) = s.strip_prefix('>') {
            return (attrs, after);
        }
        let name_len = s
            .find(|c: char| c.is_ascii_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(s.len())
            .max(s.chars().next().map_or(0, char::len_utf8));
        let name = s[..name_len].to_ascii_lowercase();
        s = s[name_len..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let value = if let Some(after) = s.strip_prefix('=') {
            let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let (raw, rest) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    match body.find(q) {
                        Some(end) => (&body[..end], &body[end + 1..]),
                        None => (body, ""),
                    }
                }
                _ => {
                    let end = after
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            s = rest;
            unescape(raw)
        } else {
            String::new()
        };
        if !attrs.iter().any(|(n, _)| *n == name) {
            attrs.push((name, value));
        }
    }
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Decodes HTML character references: the named ones an index writes
/// (`&lt; &gt; &amp; &quot; &apos; &nbsp;`) and every numeric one. Anything
/// else is kept as written, as browsers do with unknown references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map_or(rest.len(), |i| i + 1);
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity.strip_prefix('#').and_then(|num| {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                };
                code.and_then(char::from_u32)
            }),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                let consumed = if rest[end..].starts_with(';') {
                    end + 1
                } else {
                    end
                };
                rest = &rest[consumed..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the project's emulator serves (and CodeArtifact, in essence).
    const EMULATOR_HTML: &str = r#"<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>Links for acme-tools</title>
  </head>
  <body>
    <h1>Links for acme-tools</h1>
    <a href="acme_tools-1.2.0-py3-none-any.whl#sha256=ab12" data-requires-python="&gt;=3.8,&lt;4">acme_tools-1.2.0-py3-none-any.whl</a><br/>
    <a href="acme-tools-1.1.0.tar.gz#sha256=cd34">acme-tools-1.1.0.tar.gz</a><br/>
  </body>
</html>
"#;

    #[test]
    fn reads_the_emulators_html() {
        let page = ProjectPage::from_html(EMULATOR_HTML);
        assert_eq!(
            page.files,
            [
                IndexFile {
                    filename: "acme_tools-1.2.0-py3-none-any.whl".into(),
                    requires_python: Some(">=3.8,<4".into()),
                    yanked: false,
                },
                IndexFile {
                    filename: "acme-tools-1.1.0.tar.gz".into(),
                    requires_python: None,
                    yanked: false,
                },
            ]
        );
    }

    #[test]
    fn reads_pypi_style_html() {
        let html = "<html><body>\n<!-- <a href=\"commented-1.0.tar.gz\">x</a> -->\n\
            <script>var s = '<a href=\"scripted-1.0.tar.gz\">';</script>\n\
            <A HREF='https://files.example/packages/ab/cd/Acme%2BX-2.0-py3-none-any.whl?x=1#sha256=ff' DATA-YANKED=\"\" data-requires-python=&gt;=3.9>a</A>\n\
            <a data-dist-info-metadata=\"sha256=00\" href=\"../../files/acme-2.0.zip\" data-yanked=\"broken &amp; bad\">b</a>\n\
            <a name=\"no-href\">c</a><a href=\"dir/\">d</a>\n</body></html>";
        let page = ProjectPage::from_html(html);
        assert_eq!(
            page.files,
            [
                IndexFile {
                    filename: "Acme+X-2.0-py3-none-any.whl".into(),
                    requires_python: Some(">=3.9".into()),
                    yanked: true,
                },
                IndexFile {
                    filename: "acme-2.0.zip".into(),
                    requires_python: None,
                    yanked: true,
                },
            ]
        );
    }

    #[test]
    fn reads_json() {
        let page = ProjectPage::from_json(
            br#"{"meta":{"api-version":"1.1"},"name":"acme","files":[
                {"filename":"acme-1.0.tar.gz","url":"x","hashes":{}},
                {"filename":"acme-1.1-py3-none-any.whl","url":"y","requires-python":">=3.11","yanked":"bad build"},
                {"filename":"acme-1.2-py3-none-any.whl","url":"z","requires-python":"","yanked":false}
            ]}"#,
        )
        .unwrap();
        assert_eq!(page.files.len(), 3);
        assert!(!page.files[0].yanked);
        assert_eq!(page.files[1].requires_python.as_deref(), Some(">=3.11"));
        assert!(page.files[1].yanked);
        assert_eq!(page.files[2].requires_python, None);
        assert!(ProjectPage::from_json(b"<html>").is_err());
        assert!(ProjectPage::from_json(br#"{"name":"x"}"#).is_err());
    }

    #[test]
    fn unescapes_character_references() {
        assert_eq!(unescape("&gt;=3.8,&lt;4"), ">=3.8,<4");
        assert_eq!(unescape("&#62;&#x3C;&#X3c;&amp;&quot;&apos;"), "><<&\"'");
        assert_eq!(unescape("a & b &unknown; &#xZZ;"), "a & b &unknown; &#xZZ;");
        assert_eq!(unescape("&gt"), ">");
        assert_eq!(unescape("&#1114112;"), "&#1114112;");
    }

    proptest! {
        #[test]
        fn html_scanner_never_panics(html in ".{0,400}") {
            let _ = ProjectPage::from_html(&html);
        }

        #[test]
        fn html_scanner_never_panics_on_tag_soup(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<a ".to_owned()), Just("href=".to_owned()), Just("\"".to_owned()),
                    Just("'".to_owned()), Just(">".to_owned()), Just("<!--".to_owned()),
                    Just("-->".to_owned()), Just("&#x".to_owned()), Just("&".to_owned()),
                    Just("<script>".to_owned()), Just("é".to_owned()), Just("/".to_owned()),
                    "[a-z0-9=.-]{0,6}",
                ],
                0..40,
            )
        ) {
            let _ = ProjectPage::from_html(&parts.concat());
        }

        #[test]
        fn generated_pages_round_trip(
            files in proptest::collection::vec(
                ("[a-z][a-z0-9_]{0,8}-[0-9]{1,3}\\.[0-9]{1,3}-py3-none-any\\.whl",
                 proptest::option::of("(>=|<|!=|~=)3\\.[0-9]{1,2}"),
                 any::<bool>(),
                 any::<bool>()),
                0..8,
            )
        ) {
            let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
            let mut html = String::from("<!DOCTYPE html><html><body><h1>Links</h1>\n");
            for (name, rp, yanked, single) in &files {
                let q = if *single { '\'' } else { '"' };
                html.push_str(&format!("<a href={q}{name}#sha256=00{q}"));
                if let Some(rp) = rp {
                    html.push_str(&format!(" data-requires-python={q}{}{q}", escape(rp)));
                }
                if *yanked {
                    html.push_str(" data-yanked");
                }
                html.push_str(&format!(">{name}</a><br/>\n"));
            }
            let page = ProjectPage::from_html(&html);
            prop_assert_eq!(page.files.len(), files.len());
            for (file, (name, rp, yanked, _)) in page.files.iter().zip(&files) {
                prop_assert_eq!(&file.filename, name);
                prop_assert_eq!(&file.requires_python, rp);
                prop_assert_eq!(file.yanked, *yanked);
            }
        }
    }
}

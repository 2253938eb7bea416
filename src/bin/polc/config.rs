//! `polc.toml`: the project's paths, excludes and per-code levels, found in the current folder
//! or the nearest folder above it that has one (`docs/cli.md`, section Configuration).

use polc::diag::Code;
use polc::diag::config::{Level, Severities};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const FILE_NAME: &str = "polc.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    paths: Vec<PathBuf>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

/// A loaded configuration; paths are relative to the folder of the file, as written.
#[derive(Debug, Default)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    pub severities: Severities,
}

/// The nearest `polc.toml` at or above `start`.
fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Loads the configuration that applies in the current folder (an empty one without a file).
/// A file that cannot be read or has unknown keys, codes or levels is an error message.
pub fn load() -> Result<Config, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let Some(file) = find(&cwd) else {
        return Ok(Config::default());
    };
    let name = file.display().to_string();
    let mut sources = polc::source::SourceMap::new();
    polc::loader::read_file(&mut sources, &file)
        .map_err(|d| format!("{}: {}", d.code, d.message))?;
    let text = sources
        .files()
        .next()
        .map(|(_, f)| f.text.clone())
        .unwrap_or_default();
    let raw: Raw =
        toml::from_str(&text).map_err(|e| format!("`{name}` is not a valid configuration: {e}"))?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut severities = Severities::new();
    for (code, level) in &raw.severity {
        let c = Code::parse(code).ok_or_else(|| {
            format!("`{name}`: `{code}` is not a diagnostic code (see `polc explain --list`)")
        })?;
        let l = Level::parse(level).ok_or_else(|| {
            format!("`{name}`: `{code} = \"{level}\"`: the level is `off`, `warning` or `error`")
        })?;
        severities.set(c, l).map_err(|e| format!("`{name}`: {e}"))?;
    }
    let rel = |p: &PathBuf| {
        let joined = dir.join(p);
        joined
            .strip_prefix(&cwd)
            .map(|r| {
                if r.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    r.to_path_buf()
                }
            })
            .unwrap_or(joined)
    };
    Ok(Config {
        paths: raw.paths.iter().map(rel).collect(),
        exclude: raw.exclude,
        severities,
    })
}

//! `polc.toml`: the project's paths, excludes and per-code levels, found in the current folder
//! or the nearest folder above it that has one (`docs/cli.md`, section Configuration).

use polc::diag::config::{PROJECT_FILE, Severities, find_project_file, parse_project_file};
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const FILE_NAME: &str = PROJECT_FILE;

/// A loaded configuration; paths are relative to the current folder.
#[derive(Debug, Default)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    pub severities: Severities,
}

/// Loads the configuration that applies in the current folder (an empty one without a file).
/// A file that cannot be read or has unknown keys, codes or levels is an error message.
pub fn load() -> Result<Config, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let Some(file) = find_project_file(&cwd) else {
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
    let raw = parse_project_file(&text, &name)?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
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
        severities: raw.severities,
    })
}

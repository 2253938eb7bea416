//! `polc compile`: write the compiled policy as a versioned JSON artifact.

use crate::output::{self, Color, Status};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
The artifact holds the resolved roles and the rules, with a sha256 hash of its content;
`polc eval`, `polc query` and `polc debug graph` (and the library's `Policy::from_artifact`)
load it without the sources and refuse it when the hash does not match. With `--sign-key`, it
is also signed (ed25519); `--verify-key` on the loading commands then requires the signature.

Make a key pair (PKCS#8 PEM private key, SPKI PEM public key):
  openssl genpkey -algorithm ed25519 -out key.pem
  openssl pkey -in key.pem -pubout -out key.pub.pem

Examples:
  polc compile policies/ -o policy.json
  polc compile policies/ -o policy.json --sign-key key.pem
  polc eval policy.json --verify-key key.pub.pem --data data.json --request '...'";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Where to write the artifact (`-` for standard output)
    #[arg(short, long)]
    output: PathBuf,
    /// Sign the artifact with this ed25519 private key (PKCS#8 PEM)
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
}

pub fn run(args: &Args, color: Color) -> Status {
    let key = match args.sign_key.as_deref().map(polc::read_signing_key) {
        None => None,
        Some(Ok(k)) => Some(k),
        Some(Err(d)) => return output::report_error(d, color),
    };
    // Only the policy is written: the syntax trees and the sources are dropped before the
    // artifact is built (and loaded back to check it), so they do not add to its peak memory.
    let policy = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l.policy,
        Err(s) => return s,
    };
    let json = match policy.to_artifact(key.as_ref()) {
        Ok(j) => j,
        Err(e) => {
            let d =
                polc::diag::Diagnostic::new(e.code(), format!("cannot write the artifact: {e}"))
                    .help("pass the `.pol` sources to `eval` and `query` instead of an artifact");
            return output::report_error(d, color);
        }
    };
    drop(policy);
    if args.output.as_os_str() == "-" {
        output::print(&(json + "\n"));
        return Status::Clean;
    }
    match std::fs::write(&args.output, json) {
        Ok(()) => Status::Clean,
        Err(e) => {
            output::eprint(&format!(
                "error: cannot write `{}`: {e}\n",
                args.output.display()
            ));
            Status::Usage
        }
    }
}

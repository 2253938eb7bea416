//! Writes a generated policy to standard output, for measuring `polc check` and `polc compile`
//! by hand (docs/performance.md, "Compile memory and artifact size").
//!
//! `cargo run --release --example big_policy -- lines 300000 > big.pol`: the compile-scale
//! benchmark's policy (`benches/common/big_policy.rs`) of about that many lines;
//! `-- chain 10000`: one include chain of that many roles;
//! `-- from 20000`: that many types, each with a `from` edge to the next one declared.

#[path = "../benches/common/big_policy.rs"]
mod big_policy;

use std::io::Write as _;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, n) = match args.as_slice() {
        [kind, n] => match n.parse::<usize>() {
            Ok(n) => (kind.as_str(), n),
            Err(_) => usage(),
        },
        _ => usage(),
    };
    let text = match kind {
        "lines" => big_policy::big_policy(n),
        "chain" => big_policy::include_chain(n),
        "from" => big_policy::from_chain(n),
        _ => usage(),
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).is_err() {
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: big_policy lines|chain|from N");
    std::process::exit(2);
}

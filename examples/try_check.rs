fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    match polc::compile_paths(&paths) {
        Err(ds) => ds.iter().for_each(|d| eprintln!("{d:?}")),
        Ok(c) => {
            for d in &c.diagnostics {
                print!(
                    "{}",
                    polc::diag::render::human(
                        d,
                        &c.sources,
                        polc::diag::render::HumanStyle::plain()
                    )
                );
            }
            println!("policy: {}", c.policy.is_some());
            if let Some(p) = &c.policy {
                let r = polc::testing::run(p, &c.files, &c.sources, None);
                print!("{}", polc::testing::report::human(&r, p, true));
            }
        }
    }
}

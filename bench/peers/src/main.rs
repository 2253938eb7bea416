fn main() {
    println!("peer benchmark: see bench/peers/README.md");
}

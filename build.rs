// rust-embed and refinery include files at compile time but cannot tell cargo
// about files that did not exist at the last build: without these lines a NEW
// migration or asset would silently be left out.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=assets");
}

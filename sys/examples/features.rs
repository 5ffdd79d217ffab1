//! Prints what the running kernel supports: `cargo run -p seccomp-sys --example features`.

fn main() {
    println!("{}", seccomp_sys::Features::probe());
}

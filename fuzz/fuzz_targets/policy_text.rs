//! Native policy text through the parser, the compiler and the verifier, for x86_64 and aarch64.
//!
//! Properties (any violation is a crash):
//! - the parser never panics;
//! - a policy that parses compiles (unless it is too big for a program) to a program that agrees with the
//!   policy's reference semantics on probes chosen from the policy's own numbers and constants
//!   (`seccomp_fuzz::probes`);
//! - the policy's `Display` text parses back to a policy that prints the same and that the same program
//!   implements.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_fuzz::{check_program, compile_checked, seed};

fuzz_target!(|input: &[u8]| {
    let Ok(text) = core::str::from_utf8(input) else {
        return;
    };
    let seed = seed(input);
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let Ok(policy) = Policy::<512, 512>::parse(text, arch) else {
            continue;
        };
        let program = compile_checked(&policy, &[], seed, "parsed policy");

        let printed = policy.to_string();
        let reparsed = Policy::<512, 512>::parse(&printed, arch)
            .unwrap_or_else(|e| panic!("the policy's own text does not parse: {e}\n{printed}"));
        assert_eq!(reparsed.to_string(), printed, "print/parse/print differs");
        if let Some(program) = program {
            check_program(
                &reparsed,
                &program,
                &[],
                seed,
                "reparsed policy with the original's program",
            );
        }
    }
});

//! The decoders of a notification's arguments, fed hostile target memory: the CLI's syscall decoder
//! (`cli/src/decode`, every signature of every arch, with paths, strings, `argv`, buffers and socket
//! addresses read from the target) and its log lines, and the supervisor's decoders of what it reads
//! (`seccomp_supervisor::memory::SockAddr::parse`, `seccomp_supervisor::path::Lexical`).
//!
//! The input builds a notification: an arch, a syscall number (mostly from the arch's table), six
//! arguments (mostly pointers into the fake target's memory, else boundary or raw values), whether the
//! notification is gone by the re-validation, and three regions of target memory with arbitrary bytes.
//!
//! Properties (any violation is a crash):
//! - decoding never panics, gives one value per argument (six for a syscall without a signature), and
//!   shows nothing read from memory when the notification was gone by the check;
//! - the text log line is one line, and the JSON log line is one line of valid JSON with the raw
//!   registers, whatever bytes the target had;
//! - the supervisor's `SockAddr::parse` and the CLI's display of the same bytes agree on the family, the
//!   address, the port and the Unix path or abstract name;
//! - a path read from the target is lexically clean after `Lexical::new` (see `seccomp_fuzz::check_lexical`),
//!   and joining a relative path gives the components of the concatenation.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::SeccompData;
use seccomp_core::arch::Arch;
use seccomp_fuzz::check_lexical;
use seccomp_supervisor::memory::{SIN6_LEN_RFC2133, SOCKADDR_UN_LEN, SockAddr};
use seccomp_supervisor::path::Lexical;
use seccompctl::decode::{self, Memory, ReadMem, Regions, Value};
use seccompctl::notify::log::{json_line, quote, text_line};

/// Where the regions of fake target memory start.
const REGIONS: [u64; 3] = [0x1000, 0x7fff_0000, 0xffff_ffff_ffff_ff00];

/// Argument values at the edges.
const EDGES: [u64; 8] = [
    0,
    1,
    0xffff_ff9c, // AT_FDCWD as a 32-bit int
    0xffff_ffff_ffff_ff9c,
    0x7fff_ffff,
    0xffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// The fake target: regions of memory, and whether the notification is gone by the check.
struct Target {
    regions: Vec<(u64, Vec<u8>)>,
    gone: bool,
    /// Whether any read happened.
    read: bool,
}

impl Memory for Target {
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>> {
        self.read = true;
        let values = read(&mut Regions(&self.regions));
        (!self.gone).then_some(values)
    }
}

/// Whether `value` shows bytes read from memory.
fn shows_memory(value: &Value) -> bool {
    match value {
        Value::Bytes { .. } => true,
        Value::List { items, .. } => items.iter().any(shows_memory),
        _ => false,
    }
}

fn notification(u: &mut Unstructured<'_>) -> arbitrary::Result<(SeccompData, Target)> {
    let arch = Arch::ALL[usize::from(u.arbitrary::<u8>()?) % Arch::ALL.len()];
    let nr = if u.ratio(7, 8)? {
        seccomp_fuzz::table_nr(arch, usize::from(u.arbitrary::<u16>()?))
    } else {
        u.arbitrary()?
    };
    let mut args = [0u64; 6];
    for arg in &mut args {
        *arg = match u.arbitrary::<u8>()? % 8 {
            0..=4 => REGIONS[usize::from(u.arbitrary::<u8>()?) % REGIONS.len()]
                .wrapping_add(u64::from(u.arbitrary::<u8>()? % 64)),
            5 => EDGES[usize::from(u.arbitrary::<u8>()?) % EDGES.len()],
            6 => u64::from(u.arbitrary::<u8>()?),
            _ => u.arbitrary()?,
        };
    }
    let gone = u.ratio(1, 16)?;
    let mut regions = Vec::new();
    for start in REGIONS {
        let len = usize::from(u.arbitrary::<u8>()?);
        let len = len.min(u.len());
        regions.push((start, u.bytes(len)?.to_vec()));
    }
    // The rest of the input is a region of its own, so long strings and `argv` arrays can be built.
    let rest = u.len();
    regions.push((0x10_0000, u.bytes(rest)?.to_vec()));
    let data = SeccompData {
        nr: nr as i32,
        arch: arch.audit(),
        instruction_pointer: 0,
        args,
    };
    Ok((
        data,
        Target {
            regions,
            gone,
            read: false,
        },
    ))
}

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let Ok((data, mut target)) = notification(&mut u) else {
        return;
    };
    let call = decode::decode(&data, &mut target);
    if call.name.is_none() {
        assert_eq!(
            call.args.len(),
            6,
            "a syscall without a signature shows six values: {call:?}"
        );
    }
    assert!(call.args.len() <= 6, "more than six arguments: {call:?}");
    if target.gone {
        assert!(
            !call.args.iter().any(shows_memory),
            "memory shown although the notification was gone: {call:?}"
        );
    }
    for answer in [None, Some("errno(EPERM)")] {
        let text = text_line(7, &call, answer);
        assert!(
            !text.contains(['\n', '\r']),
            "the text line is several lines: {text:?}"
        );
        let json = json_line(7, &call, answer);
        assert!(!json.contains('\n'), "the JSON line is several lines: {json:?}");
        let value: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("the JSON line is not JSON ({e}): {json}"));
        assert_eq!(
            value["raw"],
            serde_json::json!(data.args),
            "raw registers in {json}"
        );
    }

    for (_, bytes) in &target.regions {
        for len in [bytes.len(), bytes.len().min(16), bytes.len().min(28)] {
            check_sockaddr(&bytes[..len]);
        }
        let path = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
        let lexical = Lexical::new(path);
        check_lexical(&lexical);
        let (dir, relative) = path.split_at(path.len() / 2);
        let joined = Lexical::new(dir).join(relative);
        let mut whole = dir.to_vec();
        whole.push(b'/');
        whole.extend_from_slice(relative);
        assert_eq!(
            joined.components(),
            Lexical::new(&whole).components(),
            "{dir:?} joined with {relative:?}"
        );
        check_lexical(&joined);
    }
});

/// The supervisor's decoding and the CLI's display of the same socket address agree.
fn check_sockaddr(bytes: &[u8]) {
    let shown = decode::sockaddr(bytes);
    let parsed = SockAddr::parse(bytes);
    let expected = match &parsed {
        SockAddr::UnixPath(path) => format!("{{sa_family=AF_UNIX, sun_path={}}}", quote(path, false)),
        SockAddr::UnixAbstract(name) => {
            format!("{{sa_family=AF_UNIX, sun_path=@{}}}", quote(name, false))
        }
        SockAddr::UnixUnnamed => "{sa_family=AF_UNIX}".to_owned(),
        SockAddr::Inet(addr) => format!(
            "{{sa_family=AF_INET, sin_port=htons({}), sin_addr=inet_addr(\"{}\")}}",
            addr.port(),
            addr.ip()
        ),
        SockAddr::Inet6(addr) => {
            // The flow label and scope id are shown from the raw words; the port and address must agree.
            let head = format!("{{sa_family=AF_INET6, sin6_port=htons({}), ", addr.port());
            let address = format!("inet_pton(AF_INET6, \"{}\", &sin6_addr)", addr.ip());
            assert!(
                shown.starts_with(&head) && shown.contains(&address),
                "the CLI and the supervisor decode {bytes:?} differently ({parsed:?}): {shown}"
            );
            return;
        }
        SockAddr::Other { family: 2, .. } => "{sa_family=AF_INET, <short>}".to_owned(),
        // Both take an address from SIN6_LEN_RFC2133 (24) bytes on, the kernel's minimum (the scope id,
        // when absent, is 0): only a shorter one is short, for both.
        SockAddr::Other { family: 10, .. } if bytes.len() < SIN6_LEN_RFC2133 => {
            "{sa_family=AF_INET6, <short>}".to_owned()
        }
        SockAddr::Other { family: 10, .. } => panic!("AF_INET6 bytes {bytes:?} not decoded"),
        // Longer than a sockaddr_un: the kernel refuses it, so the supervisor has no path; the CLI
        // still shows what the target passed.
        SockAddr::Other { family: 1, .. } if bytes.len() > SOCKADDR_UN_LEN => {
            assert!(
                shown.starts_with("{sa_family=AF_UNIX"),
                "display of {bytes:?}: {shown}"
            );
            return;
        }
        SockAddr::Other { family: 1, .. } => panic!("AF_UNIX bytes {bytes:?} not decoded"),
        SockAddr::Other { family, .. } if bytes.len() < 2 => {
            assert_eq!(*family, 0, "family of {bytes:?}");
            assert_eq!(shown, "{}", "display of {bytes:?}");
            return;
        }
        SockAddr::Other { family, .. } => {
            assert_eq!(
                u16::from_le_bytes([bytes[0], bytes[1]]),
                *family,
                "family of {bytes:?}"
            );
            return;
        }
        _ => return,
    };
    assert_eq!(
        shown, expected,
        "the CLI and the supervisor decode {bytes:?} differently ({parsed:?})"
    );
}

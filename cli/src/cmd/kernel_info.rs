//! `seccompctl actions`, `sizes` and `features`: what the running kernel supports, from `seccomp-sys`'s
//! probes (nothing is installed in this process).

use crate::args::JsonArgs;
use crate::error::{CliError, CliResult};
use crate::output;
use seccomp_core::abi::{self, SeccompNotifSizes};
use seccomp_core::action::{Action, ActionKind};
use seccomp_sys::FilterFlags;
use seccomp_sys::features::{ACTIONS, Features};
use seccomp_sys::probe::{self, ListenerIoctls, Support};
use serde_json::{Map, Value, json};

/// A probe answer as JSON: `true`, `false`, or `null` when the probe itself failed.
fn support_json(support: Support) -> Value {
    match support {
        Support::Yes => Value::Bool(true),
        Support::No => Value::Bool(false),
        Support::Unknown(_) => Value::Null,
    }
}

/// The name the policy language gives an action (`kill-process`, `notify`, ...), and the kernel's constant.
pub fn action_names(action: Action) -> (&'static str, &'static str) {
    match action.kind() {
        ActionKind::KillProcess => ("kill-process", "SECCOMP_RET_KILL_PROCESS"),
        ActionKind::KillThread => ("kill-thread", "SECCOMP_RET_KILL_THREAD"),
        ActionKind::Trap(_) => ("trap", "SECCOMP_RET_TRAP"),
        ActionKind::Errno(_) => ("errno", "SECCOMP_RET_ERRNO"),
        ActionKind::Notify => ("notify", "SECCOMP_RET_USER_NOTIF"),
        ActionKind::Trace(_) => ("trace", "SECCOMP_RET_TRACE"),
        ActionKind::Log => ("log", "SECCOMP_RET_LOG"),
        ActionKind::Allow => ("allow", "SECCOMP_RET_ALLOW"),
        ActionKind::Unknown(_) => ("unknown", "?"),
    }
}

/// The actions and their availability as a JSON object in precedence order, keyed by the policy
/// language's names.
fn actions_json(supports: &[Support; 8]) -> Value {
    let mut map = Map::new();
    for ((_, action), support) in ACTIONS.iter().zip(supports) {
        map.insert(action_names(*action).0.to_owned(), support_json(*support));
    }
    Value::Object(map)
}

/// The notification struct sizes as JSON.
fn sizes_json(sizes: &SeccompNotifSizes) -> Value {
    json!({
        "seccomp_notif": sizes.seccomp_notif,
        "seccomp_notif_resp": sizes.seccomp_notif_resp,
        "seccomp_data": sizes.seccomp_data,
    })
}

/// The filter flags as a list of names (unknown bits in hex).
fn flag_names(flags: FilterFlags) -> Vec<String> {
    let mut names: Vec<String> = FilterFlags::NAMED
        .iter()
        .filter(|(flag, _)| flags.contains(*flag))
        .map(|(_, name)| (*name).to_owned())
        .collect();
    let named = FilterFlags::NAMED
        .iter()
        .fold(FilterFlags::EMPTY, |all, (flag, _)| all.union(*flag));
    let rest = flags.difference(named).bits();
    for bit in 0..32 {
        if rest & (1 << bit) != 0 {
            names.push(format!("{:#x}", 1u32 << bit));
        }
    }
    names
}

/// The listener ioctls as JSON.
fn ioctls_json(ioctls: &ListenerIoctls) -> Value {
    json!({
        "id_valid": support_json(ioctls.id_valid),
        "id_valid_legacy": support_json(ioctls.id_valid_legacy),
        "addfd": support_json(ioctls.addfd),
        "addfd_send": support_json(ioctls.addfd_send),
        "set_flags_sync_wake_up": support_json(ioctls.set_flags_sync_wake_up),
    })
}

/// `actions`: one line per action, `name yes|no|unknown (errno) SECCOMP_RET_...`, in the kernel's order of
/// precedence, named as the policy language names them.
pub fn actions(args: &JsonArgs) -> CliResult {
    let supports = ACTIONS.map(|(_, action)| probe::action_available(action));
    if args.json {
        output::print_json(&actions_json(&supports))?;
    } else {
        let text: String = ACTIONS
            .iter()
            .zip(supports)
            .map(|((_, action), support)| {
                let (name, constant) = action_names(*action);
                format!("{name:<12} {:<8} {constant}\n", support.to_string())
            })
            .collect();
        output::print(&text)?;
    }
    Ok(0)
}

/// `sizes`: `SECCOMP_GET_NOTIF_SIZES`, compared with the sizes this build was written for.
pub fn sizes(args: &JsonArgs) -> CliResult {
    let sizes = probe::notif_sizes()
        .map_err(|errno| CliError::kernel(format!("SECCOMP_GET_NOTIF_SIZES failed: {errno}")))?;
    if args.json {
        output::print_json(&sizes_json(&sizes))?;
    } else {
        let verdict = if sizes == abi::NOTIF_SIZES {
            "as this build expects"
        } else {
            "DIFFERENT from this build's structs"
        };
        output::print(&format!(
            "seccomp_notif {}\nseccomp_notif_resp {}\nseccomp_data {}\n({verdict})\n",
            sizes.seccomp_notif, sizes.seccomp_notif_resp, sizes.seccomp_data
        ))?;
    }
    Ok(0)
}

/// `features`: everything the probes find (kernel release, actions, filter flags, sizes, listener ioctls).
pub fn features(args: &JsonArgs) -> CliResult {
    let features = Features::probe();
    if !args.json {
        output::print(&format!("{features}\n"))?;
        return Ok(0);
    }
    let version = features
        .release
        .version()
        .map(|(major, minor, patch)| json!([major, minor, patch]));
    let filter_flags = match features.filter_flags {
        Ok(flags) => json!({ "bits": format!("{:#x}", flags.bits()), "names": flag_names(flags) }),
        Err(errno) => json!({ "error": errno.to_string() }),
    };
    let notif_sizes = match &features.notif_sizes {
        Ok(sizes) => sizes_json(sizes),
        Err(errno) => json!({ "error": errno.to_string() }),
    };
    let listener_ioctls = match &features.listener_ioctls {
        Ok(ioctls) => ioctls_json(ioctls),
        Err(error) => json!({ "error": error.to_string() }),
    };
    output::print_json(&json!({
        "kernel": { "release": features.release.as_str(), "version": version },
        "actions": actions_json(&features.actions),
        "filter_flags": filter_flags,
        "notif_sizes": notif_sizes,
        "listener_ioctls": listener_ioctls,
    }))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_flag_bits_are_listed_in_hex_after_the_named_ones() {
        let flags = FilterFlags::TSYNC.union(FilterFlags::from_bits_retain(1 << 20));
        assert_eq!(flag_names(flags), ["tsync", "0x100000"]);
        assert!(flag_names(FilterFlags::EMPTY).is_empty());
    }
}

//! Syscall groups for policies: `allow @system-service`, `errno(EPERM) @privileged`, with systemd's
//! names and contents (systemd 252, see [`table`]), resolved per architecture without allocation.

pub mod table;

use crate::arch::Arch;
pub use table::{GROUPS, Group, SYSTEMD_VERSION};

/// Groups nest (`@system-service` includes `@basic-io`); systemd's nest at most three deep. Resolution
/// stops below this depth, so a table edited into a cycle cannot recurse without end.
const MAX_DEPTH: usize = 8;

/// The group named `name` (with its `@`), if systemd 252 defines it.
pub fn find(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|group| group.name == name)
}

impl Group {
    /// The members (syscall names and `@group` names), in systemd's order.
    pub fn members(&self) -> impl Iterator<Item = &'static str> + Clone + use<> {
        self.member_list.split_ascii_whitespace()
    }

    /// Calls `each` with the number of every syscall of the group on `arch`, nested groups expanded, in
    /// systemd's order. Names `arch` does not have are skipped, as systemd skips them; a syscall reached
    /// twice (through two nested groups) is passed twice.
    pub fn for_each_nr(&self, arch: Arch, mut each: impl FnMut(u32)) {
        self.walk(arch, &mut each, 0);
    }

    /// Calls `each` with every syscall name of the group, nested groups expanded, in systemd's order,
    /// whether or not any architecture has it.
    pub fn for_each_name(&self, mut each: impl FnMut(&'static str)) {
        self.walk_names(&mut each, 0);
    }

    fn walk_names(&self, each: &mut impl FnMut(&'static str), depth: usize) {
        if depth >= MAX_DEPTH {
            return;
        }
        for member in self.members() {
            if member.starts_with('@') {
                if let Some(group) = find(member) {
                    group.walk_names(each, depth + 1);
                }
            } else {
                each(member);
            }
        }
    }

    fn walk(&self, arch: Arch, each: &mut impl FnMut(u32), depth: usize) {
        if depth >= MAX_DEPTH {
            return;
        }
        for member in self.members() {
            if member.starts_with('@') {
                if let Some(group) = find(member) {
                    group.walk(arch, each, depth + 1);
                }
            } else if let Some(nr) = arch.syscall_nr(member) {
                each(nr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_groups_expand_and_foreign_names_are_skipped() {
        let service = find("@system-service").expect("@system-service");
        let mut count = 0;
        let mut has_read = false;
        service.for_each_nr(Arch::X86_64, |nr| {
            count += 1;
            has_read |= nr == 0;
        });
        assert!(has_read, "read comes from the nested @basic-io");
        assert!(count > 200);
        // cacheflush is in @default but exists on no supported architecture.
        let mut names = 0;
        find("@default")
            .expect("@default")
            .for_each_nr(Arch::Aarch64, |_| names += 1);
        assert!(names > 0 && find("@nonsense").is_none());
    }
}

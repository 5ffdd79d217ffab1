//! Notifications that vanished before they were received, found from the kernel's notification ids.
//!
//! The kernel numbers a filter's notifications consecutively (from a random start). A number that never
//! arrives belongs to a notification that vanished before it was received: a signal interrupted the waiting
//! syscall (which then failed with `EINTR`, or restarted under an `SA_RESTART` handler and came back with a
//! new number), or the task was killed. Notifications arrive in order since Linux 5.19; before, a late one
//! fills its hole.
//!
//! Gaps only show a lost notification that has a received one on each side. The receiving thread also
//! counts the receives that find nothing (`ENOENT`): the kernel counts a notification as pending when it
//! is posted and does not take the count back when the syscall is interrupted, so a thread blocked in
//! `RECV` wakes for it and finds nothing. That catches the lone interrupted notification too.

use std::collections::BTreeSet;

/// Notification ids the kernel handed out but the supervisor never received.
#[derive(Debug, Default)]
pub struct Gaps {
    next: Option<u64>,
    holes: BTreeSet<u64>,
    overflow: u64,
}

impl Gaps {
    /// The most holes remembered individually; more are only counted.
    const MAX_HOLES: usize = 4096;

    /// Records a received id.
    pub fn saw(&mut self, id: u64) {
        let Some(next) = self.next else {
            self.next = Some(id.wrapping_add(1));
            return;
        };
        if id == next {
            self.next = Some(next.wrapping_add(1));
        } else if id > next {
            for hole in next..id {
                if self.holes.len() >= Self::MAX_HOLES {
                    self.overflow += id - hole;
                    break;
                }
                self.holes.insert(hole);
            }
            self.next = Some(id.wrapping_add(1));
        } else {
            self.holes.remove(&id);
        }
    }

    /// How many notifications were never received.
    pub fn lost(&self) -> u64 {
        self.holes.len() as u64 + self.overflow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_count_ids_that_never_arrive() {
        let mut gaps = Gaps::default();
        for id in [u64::MAX - 1, u64::MAX, 0, 1] {
            gaps.saw(id);
        }
        assert_eq!(gaps.lost(), 0, "consecutive ids, wrapping included, leave no gap");
        gaps.saw(4);
        assert_eq!(gaps.lost(), 2, "2 and 3 are missing");
        gaps.saw(3);
        assert_eq!(
            gaps.lost(),
            1,
            "a late arrival (before 5.19's FIFO order) fills its hole"
        );
        gaps.saw(5);
        assert_eq!(gaps.lost(), 1);
    }

    #[test]
    fn huge_jumps_are_counted_without_remembering_every_hole() {
        let mut gaps = Gaps::default();
        gaps.saw(10);
        gaps.saw(10 + 1 + 100_000);
        assert_eq!(gaps.lost(), 100_000);
    }
}

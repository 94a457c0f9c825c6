//! Active time per frame: how long a person worked on a frame from first
//! view to submit, so a study can measure what model proposals save.
//!
//! Time counts between two inputs (a key, a click, a drag, a scroll) on the
//! frame on screen, when they are at most [`IDLE_GAP`] apart; a longer gap is
//! a pause (a phone call, a coffee) and counts nothing. The first view of a
//! frame starts its clock like an input. The desktop feeds the timer every
//! frame and writes the total when the frame is submitted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A gap between inputs longer than this is idle time, cut from the total.
pub const IDLE_GAP: Duration = Duration::from_secs(30);

/// A frame of a clip.
type FrameKey = (i64, u32);

/// Accumulates active time per frame for one annotator.
#[derive(Debug, Default)]
pub struct FrameTimer {
    /// The frame on screen at the last input, and when that was.
    last: Option<(FrameKey, Instant)>,
    active: HashMap<FrameKey, Duration>,
}

impl FrameTimer {
    /// Called once per UI frame with the frame on screen and whether the
    /// person did anything since the last call.
    pub fn observe(&mut self, on_screen: Option<FrameKey>, input: bool, now: Instant) {
        let Some(frame) = on_screen else {
            self.last = None;
            return;
        };
        let viewed_first = !self.active.contains_key(&frame);
        if !input && !viewed_first && self.last.is_some_and(|(f, _)| f == frame) {
            return;
        }
        if let Some((previous, at)) = self.last {
            let gap = now.saturating_duration_since(at);
            if input && gap <= IDLE_GAP {
                *self.active.entry(previous).or_default() += gap;
            }
        }
        self.active.entry(frame).or_default();
        self.last = Some((frame, now));
    }

    /// The active time of a frame so far, and forgets it (on submit).
    pub fn take(&mut self, clip_id: i64, frame: u32) -> Option<Duration> {
        let key = (clip_id, frame);
        if self.last.is_some_and(|(f, _)| f == key) {
            self.last = None;
        }
        self.active.remove(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_between_inputs_counts_and_idle_gaps_are_cut() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let mut timer = FrameTimer::default();
        timer.observe(Some((1, 4)), false, at(0)); // first view starts the clock
        timer.observe(Some((1, 4)), true, at(5));
        timer.observe(Some((1, 4)), false, at(6)); // no input: nothing
        timer.observe(Some((1, 4)), true, at(10));
        timer.observe(Some((1, 4)), true, at(100)); // 90 s pause: cut
        timer.observe(Some((1, 4)), true, at(103));
        assert_eq!(timer.take(1, 4), Some(Duration::from_secs(13)));
        assert_eq!(timer.take(1, 4), None, "taken once");
    }

    #[test]
    fn time_goes_to_the_frame_that_was_on_screen() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let mut timer = FrameTimer::default();
        timer.observe(Some((1, 0)), true, at(0));
        timer.observe(Some((1, 0)), true, at(4));
        // Stepping to frame 5 is an input made while frame 0 was shown.
        timer.observe(Some((1, 5)), true, at(6));
        timer.observe(Some((1, 5)), true, at(9));
        timer.observe(None, false, at(10)); // the clip closed
        timer.observe(Some((1, 5)), true, at(500));
        assert_eq!(timer.take(1, 0), Some(Duration::from_secs(6)));
        assert_eq!(timer.take(1, 5), Some(Duration::from_secs(3)));
    }
}

//! ED/ES consensus: the median frame of the annotators' marks, per cycle.
//!
//! Marks of one kind are grouped into cycles by sorting them and starting a
//! new group wherever two neighbours are more than half a cycle apart (the
//! cycle length from the annotators' own repeated marks, else
//! [`FALLBACK_GAP`]). Only people's marks count; a model's unconfirmed
//! proposals are not a reader's judgement.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::{KeyFrame, KeyFrameKind, SetBy};

/// Without repeated marks to measure a cycle by, marks further apart than
/// this many frames are taken to be different cycles.
pub const FALLBACK_GAP: u32 = 5;

/// The consensus of one kind in one cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFrameConsensus {
    pub kind: KeyFrameKind,
    /// 0 for the first cycle of the clip with a mark of this kind.
    pub cycle: usize,
    /// The median of the marks (the lower middle one for an even count, so
    /// it is always a frame someone chose).
    pub frame: u32,
    /// Each author's mark in this cycle and its difference from the median
    /// (frames, positive = later).
    pub marks: Vec<(String, u32, i64)>,
}

/// The consensus of every cycle of a clip from people's `marks`.
pub fn key_frame_consensus(marks: &[KeyFrame]) -> Vec<KeyFrameConsensus> {
    let mut by_kind: BTreeMap<KeyFrameKind, Vec<&KeyFrame>> = BTreeMap::new();
    for mark in marks.iter().filter(|m| m.set_by == SetBy::Human) {
        by_kind.entry(mark.kind).or_default().push(mark);
    }
    let mut out = Vec::new();
    for (kind, mut marks) in by_kind {
        marks.sort_by_key(|m| (m.frame, m.author.clone()));
        let gap = half_cycle(&marks).unwrap_or(FALLBACK_GAP);
        let mut groups: Vec<Vec<&KeyFrame>> = Vec::new();
        for mark in marks {
            match groups.last_mut() {
                Some(group) if mark.frame - group.last().expect("non-empty").frame <= gap => {
                    group.push(mark)
                }
                _ => groups.push(vec![mark]),
            }
        }
        for (cycle, group) in groups.into_iter().enumerate() {
            let frame = group[(group.len() - 1) / 2].frame;
            out.push(KeyFrameConsensus {
                kind,
                cycle,
                frame,
                marks: group
                    .iter()
                    .map(|m| {
                        (
                            m.author.clone(),
                            m.frame,
                            i64::from(m.frame) - i64::from(frame),
                        )
                    })
                    .collect(),
            });
        }
    }
    out
}

/// Half the cycle length, from the median spacing of each author's own
/// successive marks of one kind; none when no one marked two cycles.
fn half_cycle(marks: &[&KeyFrame]) -> Option<u32> {
    let mut by_author: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for mark in marks {
        by_author.entry(&mark.author).or_default().push(mark.frame);
    }
    let mut spacings: Vec<u32> = by_author
        .values()
        .flat_map(|frames| frames.windows(2).map(|w| w[1] - w[0]))
        .filter(|&d| d > 1)
        .collect();
    if spacings.is_empty() {
        return None;
    }
    spacings.sort_unstable();
    Some(spacings[spacings.len() / 2] / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(author: &str, kind: KeyFrameKind, frame: u32) -> KeyFrame {
        KeyFrame {
            kind,
            frame,
            set_by: SetBy::Human,
            author_id: 0,
            author: author.into(),
            model_version_id: None,
        }
    }

    #[test]
    fn the_median_of_each_cycle_is_the_consensus() {
        use KeyFrameKind::EndDiastole as Ed;
        // Three readers over two cycles 20 frames apart, a frame or two apart.
        let marks = [
            mark("A", Ed, 2),
            mark("B", Ed, 3),
            mark("C", Ed, 5),
            mark("A", Ed, 22),
            mark("B", Ed, 21),
            mark("C", Ed, 24),
        ];
        let found = key_frame_consensus(&marks);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].cycle, found[0].frame), (0, 3));
        assert_eq!((found[1].cycle, found[1].frame), (1, 22));
        let c = found[0].marks.iter().find(|m| m.0 == "C").unwrap();
        assert_eq!((c.1, c.2), (5, 2));
    }

    #[test]
    fn model_proposals_are_not_readers() {
        let mut proposal = mark("A", KeyFrameKind::EndSystole, 9);
        proposal.set_by = SetBy::Model;
        let found = key_frame_consensus(&[proposal, mark("B", KeyFrameKind::EndSystole, 12)]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].frame, 12);
        assert_eq!(found[0].marks.len(), 1);
    }

    #[test]
    fn without_repeated_marks_far_apart_marks_are_separate_cycles() {
        let found = key_frame_consensus(&[
            mark("A", KeyFrameKind::EndSystole, 10),
            mark("B", KeyFrameKind::EndSystole, 11),
            mark("C", KeyFrameKind::EndSystole, 30),
        ]);
        assert_eq!(found.iter().map(|c| c.frame).collect::<Vec<_>>(), [10, 30]);
    }
}

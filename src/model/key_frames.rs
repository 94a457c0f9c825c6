//! End-diastole / end-systole from the LV area curve of a clip: ED where the
//! cavity is largest in each cardiac cycle, ES where it is smallest.
//!
//! The curve comes from the model's masks, so it is noisy; a light smoothing
//! and a window of about a third of a cycle around each extremum keep one ED
//! and one ES per cycle without mistaking noise for a beat.

/// Proposed key frames, in frame order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFrameProposal {
    pub end_diastole: Vec<u32>,
    pub end_systole: Vec<u32>,
}

/// Finds ED (area maxima) and ES (area minima) in `areas`, one per cycle.
/// `period_frames` is the cardiac cycle length in frames when the DICOM says
/// it (heart rate and frame time); otherwise it is estimated from the curve.
pub fn detect_key_frames(areas: &[f32], period_frames: Option<f32>) -> KeyFrameProposal {
    if areas.len() < 3 {
        return KeyFrameProposal::default();
    }
    let smooth = smoothed(areas);
    let period = period_frames
        .filter(|p| p.is_finite() && *p >= 4.0)
        .or_else(|| estimate_period(&smooth))
        .unwrap_or(areas.len() as f32);
    let half_window = ((period * 0.35).round() as usize).max(1);
    let range = smooth.iter().copied().fold(f32::NEG_INFINITY, f32::max)
        - smooth.iter().copied().fold(f32::INFINITY, f32::min);
    if range <= f32::EPSILON {
        return KeyFrameProposal::default();
    }
    KeyFrameProposal {
        end_diastole: extrema(&smooth, half_window, |a, b| a > b),
        end_systole: extrema(&smooth, half_window, |a, b| a < b),
    }
}

/// A 1-2-1 moving average; the ends keep their own weight.
fn smoothed(values: &[f32]) -> Vec<f32> {
    let last = values.len() - 1;
    (0..values.len())
        .map(|i| {
            let before = values[i.saturating_sub(1)];
            let after = values[(i + 1).min(last)];
            (before + 2.0 * values[i] + after) / 4.0
        })
        .collect()
}

/// Interior frames whose value beats (`better`) or ties every other within
/// `half_window` frames; of a run of equal values only the first is kept.
fn extrema(values: &[f32], half_window: usize, better: impl Fn(f32, f32) -> bool) -> Vec<u32> {
    let mut found: Vec<u32> = Vec::new();
    for i in 0..values.len() {
        let low = i.saturating_sub(half_window);
        let high = (i + half_window).min(values.len() - 1);
        // The first and last frames cannot show that the curve turned there.
        let interior = i > 0 && i + 1 < values.len();
        let is_extremum = interior && (low..=high).all(|j| j == i || !better(values[j], values[i]));
        let repeats_last = found
            .last()
            .is_some_and(|&f| i - f as usize <= half_window && values[f as usize] == values[i]);
        if is_extremum && !repeats_last {
            found.push(i as u32);
        }
    }
    found
}

/// The lag (in frames) of the first autocorrelation peak of the detrended
/// curve, if the curve has one.
fn estimate_period(values: &[f32]) -> Option<f32> {
    let n = values.len();
    let mean = values.iter().sum::<f32>() / n as f32;
    let centred: Vec<f32> = values.iter().map(|v| v - mean).collect();
    let energy: f32 = centred.iter().map(|v| v * v).sum();
    if energy <= f32::EPSILON {
        return None;
    }
    let correlation = |lag: usize| {
        let sum: f32 = (0..n - lag).map(|i| centred[i] * centred[i + lag]).sum();
        sum / energy
    };
    let lags: Vec<f32> = (0..n / 2 + 1).map(correlation).collect();
    // The first local maximum after the curve has gone negative.
    let first_negative = lags.iter().position(|&c| c < 0.0)?;
    (first_negative + 1..lags.len().saturating_sub(1))
        .find(|&lag| lags[lag] >= lags[lag - 1] && lags[lag] >= lags[lag + 1] && lags[lag] > 0.0)
        .map(|lag| lag as f32)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A cosine-shaped LV area with its maximum at `phase` frames.
    fn beating(frames: usize, period: f32, phase: f32) -> Vec<f32> {
        (0..frames)
            .map(|i| {
                let t = (i as f32 - phase) / period * std::f32::consts::TAU;
                1000.0 + 300.0 * t.cos()
            })
            .collect()
    }

    #[test]
    fn one_ed_and_one_es_per_cycle() {
        let areas = beating(60, 20.0, 3.0);
        let found = detect_key_frames(&areas, Some(20.0));
        assert_eq!(found.end_diastole, [3, 23, 43]);
        assert_eq!(found.end_systole, [13, 33, 53]);
    }

    #[test]
    fn the_period_is_estimated_when_the_header_lacks_it() {
        let areas = beating(70, 23.0, 5.0);
        assert_eq!(estimate_period(&areas), Some(23.0));
        let found = detect_key_frames(&areas, None);
        assert_eq!(found.end_diastole, [5, 28, 51]);
    }

    #[test]
    fn noise_does_not_add_beats() {
        let mut areas = beating(60, 20.0, 3.0);
        for (i, a) in areas.iter_mut().enumerate() {
            *a += if i % 2 == 0 { 25.0 } else { -25.0 };
        }
        let found = detect_key_frames(&areas, Some(20.0));
        assert_eq!(found.end_diastole.len(), 3, "{found:?}");
        assert_eq!(found.end_systole.len(), 3, "{found:?}");
        for (ed, truth) in found.end_diastole.iter().zip([3, 23, 43]) {
            assert!(ed.abs_diff(truth) <= 1, "{found:?}");
        }
    }

    /// Interior detections match a true key frame and every true key frame is
    /// found, within one frame (a truth at the very edge of a clip may be a
    /// cycle the clip only half shows).
    pub(crate) fn assert_within_one_frame(found: &[u32], truth: &[u32], frames: u32, what: &str) {
        let near = |a: u32, set: &[u32]| set.iter().any(|&b| a.abs_diff(b) <= 1);
        for &t in truth {
            assert!(
                near(t, found) || t < 2 || t + 2 >= frames,
                "{what}: true {t} not found in {found:?}"
            );
        }
        for &f in found {
            assert!(
                near(f, truth) || f < 2 || f + 2 >= frames,
                "{what}: {f} is not a true key frame {truth:?}"
            );
        }
    }

    #[test]
    fn phantom_key_frames_are_found_from_their_lv_area_curves() {
        for index in 0..6 {
            let clip = crate::phantom::generate(21, index);
            let areas: Vec<f32> = clip
                .labels
                .iter()
                .map(|l| l.iter().filter(|&&c| c == 1).count() as f32)
                .collect();
            let period = clip.params.cycle_frames();
            for period in [Some(period as f32), None] {
                let found = detect_key_frames(&areas, period);
                let frames = clip.params.frames;
                assert_within_one_frame(
                    &found.end_diastole,
                    &clip.truth.end_diastole,
                    frames,
                    "ED",
                );
                assert_within_one_frame(&found.end_systole, &clip.truth.end_systole, frames, "ES");
            }
        }
    }

    #[test]
    fn a_flat_or_tiny_curve_proposes_nothing() {
        assert_eq!(
            detect_key_frames(&[5.0; 30], None),
            KeyFrameProposal::default()
        );
        assert_eq!(
            detect_key_frames(&[1.0, 2.0], None),
            KeyFrameProposal::default()
        );
    }
}

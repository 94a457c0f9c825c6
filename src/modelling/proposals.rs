//! What a model proposes for a clip a person annotates: contours for one
//! frame, and ED/ES frames from the LV area curve.

use std::path::Path;

use super::TaskError;
use crate::dicom::{Clip, PatientSalt};
use crate::geometry::Point;
use crate::model::{Segmenter, UncertaintyScores, detect_key_frames};
use crate::store::KeyFrameKind;

/// A model's contours for one frame and how unsure it was.
#[derive(Debug, Clone)]
pub struct FrameProposal {
    pub frame: u32,
    pub contours: Vec<(String, Vec<Point>)>,
    pub scores: UncertaintyScores,
}

/// Segments one frame with `samples` MC passes and turns the mask into contours.
pub fn propose_frame(
    model: &Segmenter,
    clip_path: &Path,
    salt: &PatientSalt,
    frame: u32,
    samples: usize,
) -> Result<FrameProposal, TaskError> {
    let clip = Clip::open(clip_path, salt)?;
    let gray = clip.frame(frame)?.gray();
    let info = clip.info();
    let segmented = model.segment(&[&gray], info.cols as usize, info.rows as usize, samples, 1);
    let result = segmented
        .into_iter()
        .next()
        .ok_or(TaskError::NoPrediction)?;
    Ok(FrameProposal {
        frame,
        contours: model.proposals(&result),
        scores: result.prediction.scores,
    })
}

/// ED and ES frames from the LV area of every frame (one deterministic pass
/// each). `progress(done, total)` returns false to cancel (then `Ok(None)`).
pub fn propose_key_frames(
    model: &Segmenter,
    clip_path: &Path,
    salt: &PatientSalt,
    mut progress: impl FnMut(u32, u32) -> bool,
) -> Result<Option<Vec<(KeyFrameKind, u32)>>, TaskError> {
    const BATCH: u32 = 8;
    let clip = Clip::open(clip_path, salt)?;
    let info = clip.info().clone();
    let lv = model
        .header
        .config
        .class_of("LV endocardium")
        .ok_or(TaskError::NoLvClass)?;
    let mut areas = Vec::with_capacity(info.frames as usize);
    for first in (0..info.frames).step_by(BATCH as usize) {
        if !progress(first, info.frames) {
            return Ok(None);
        }
        let last = (first + BATCH).min(info.frames);
        let grays = (first..last)
            .map(|f| clip.frame(f).map(|frame| frame.gray()))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = grays.iter().map(Vec::as_slice).collect();
        let results = model.segment(&refs, info.cols as usize, info.rows as usize, 0, refs.len());
        areas.extend(results.iter().map(|r| r.area(lv) as f32));
    }
    let period = info.cycle_frames().map(|f| f as f32);
    let found = detect_key_frames(&areas, period);
    let marks = found
        .end_diastole
        .iter()
        .map(|&f| (KeyFrameKind::EndDiastole, f));
    let marks = marks.chain(
        found
            .end_systole
            .iter()
            .map(|&f| (KeyFrameKind::EndSystole, f)),
    );
    Ok(Some(marks.collect()))
}

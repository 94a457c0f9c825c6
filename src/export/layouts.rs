//! The files of each format, clip by clip: where each file goes and what it
//! holds. File names use the export's `clipNNNN` and label-set names only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use dicom_dictionary_std::uids;

use super::dicom_seg::{self, Origin, SegFrame, Segment, Segmentation, SourceClip};
use super::folder::Staging;
use super::pictures::{Pictures, class_map, class_mask};
use super::table::Tables;
use super::{
    ClipSelection, Counts, ExportError, ExportFormat, ExportRequest, LabelSet, ManifestClip,
    ManifestSet, ModelNames, Selection, open_clip, patient_reference, relative, skipped,
};
use crate::dicom::{Clip, ClipInfo};
use crate::model::config::CAMUS_CLASSES;
use crate::model::dataset::write_volume;
use crate::store::{KeyFrameKind, Project, Role, Source};

/// SOP classes whose instances are multi-frame (frames are referenced by number).
const MULTI_FRAME_CLASSES: [&str; 6] = [
    uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE,
    uids::ENHANCED_US_VOLUME_STORAGE,
    uids::MULTI_FRAME_SINGLE_BIT_SECONDARY_CAPTURE_IMAGE_STORAGE,
    uids::MULTI_FRAME_GRAYSCALE_BYTE_SECONDARY_CAPTURE_IMAGE_STORAGE,
    uids::MULTI_FRAME_GRAYSCALE_WORD_SECONDARY_CAPTURE_IMAGE_STORAGE,
    uids::MULTI_FRAME_TRUE_COLOR_SECONDARY_CAPTURE_IMAGE_STORAGE,
];

/// The CAMUS layout's view name: EchoLabel's structures are those of the
/// apical four-chamber view.
const CAMUS_VIEW: &str = "4CH";

/// Writes the files of one export.
pub struct Writer<'a> {
    project: &'a Project,
    selection: &'a Selection,
    request: &'a ExportRequest,
    staging: &'a Staging,
    pub counts: Counts,
    pub skipped: Vec<String>,
    models: ModelNames,
    /// CAMUS patients written so far (they are numbered from 1).
    patients: usize,
    tables: Option<Tables>,
    /// Annotators' roles by name (the CSV's `role` column).
    roles: HashMap<String, Role>,
    /// The files written for the clip in hand, removed if it is skipped.
    clip_files: Vec<PathBuf>,
}

impl<'a> Writer<'a> {
    pub fn new(
        project: &'a Project,
        selection: &'a Selection,
        request: &'a ExportRequest,
        staging: &'a Staging,
    ) -> Self {
        Writer {
            project,
            selection,
            request,
            staging,
            counts: Counts::default(),
            skipped: Vec::new(),
            models: ModelNames::default(),
            patients: 0,
            tables: None,
            roles: HashMap::new(),
            clip_files: Vec::new(),
        }
    }

    /// Writes one clip's files; `None` when the format had nothing of it to
    /// write. A clip that cannot be written whole leaves no file behind.
    pub fn clip(&mut self, clip: &ClipSelection) -> Result<Option<ManifestClip>, ExportError> {
        self.clip_files.clear();
        let written = self.write_clip(clip);
        if written.is_err() {
            for file in self.clip_files.drain(..) {
                let _ = std::fs::remove_file(file);
                self.counts.files -= 1;
            }
        }
        written
    }

    /// Counts a file written for the clip in hand.
    fn wrote(&mut self, path: PathBuf) {
        self.counts.files += 1;
        self.clip_files.push(path);
    }

    fn write_clip(&mut self, clip: &ClipSelection) -> Result<Option<ManifestClip>, ExportError> {
        let format = self.request.format;
        let pictures = if format.writes_images() {
            Some(Pictures::new(
                open_clip(self.project, &clip.clip)?,
                &clip.name,
                self.request.keep_outside_regions,
            )?)
        } else {
            None
        };
        let info: Option<ClipInfo> = match &pictures {
            Some(pictures) => Some(pictures.clip().info().clone()),
            None if format == ExportFormat::Csv => {
                Clip::read_info(&self.project.clip_file(&clip.clip), self.project.salt()).ok()
            }
            None => {
                let path = self.project.clip_file(&clip.clip);
                Some(
                    Clip::read_info(&path, self.project.salt())
                        .map_err(|e| skipped(&path, &clip.clip, e))?,
                )
            }
        };
        if let Some(info) = &info
            && (info.rows, info.cols) != (clip.clip.rows, clip.clip.cols)
        {
            return Err(ExportError::Invalid(format!(
                "{}: the file is now {}×{}, the project knows it as {}×{}",
                clip.name, info.cols, info.rows, clip.clip.cols, clip.clip.rows
            )));
        }
        let mut entry = ManifestClip {
            name: clip.name.clone(),
            sop_instance_uid: clip.clip.sop_instance_uid.clone(),
            patient: patient_reference(&clip.clip),
            frames: clip.clip.frames,
            rows: clip.clip.rows,
            cols: clip.clip.cols,
            mm_per_pixel: clip.clip.mm_per_pixel,
            frame_time_ms: clip.clip.frame_time_ms,
            burned_in_annotation: info.as_ref().and_then(|i| i.burned_in_annotation.clone()),
            outside_regions_blanked: pictures.as_ref().is_some_and(Pictures::blanks),
            label_sets: Vec::new(),
            files: Vec::new(),
        };
        for set in &clip.sets {
            entry.label_sets.push(ManifestSet {
                name: set.name.clone(),
                author: set.author.clone(),
                role: set.role.map(|r| r.to_string()),
                frames: set.contours.keys().copied().collect(),
                end_diastole: key_frame(clip, set, KeyFrameKind::EndDiastole),
                end_systole: key_frame(clip, set, KeyFrameKind::EndSystole),
                authors_by_frame: match set.author_id {
                    Some(_) => Default::default(),
                    None => set
                        .contours
                        .iter()
                        .map(|(&frame, contours)| {
                            let mut authors: Vec<String> =
                                contours.iter().map(|a| a.author.clone()).collect();
                            authors.sort();
                            authors.dedup();
                            (frame, authors)
                        })
                        .collect(),
                },
                files: Vec::new(),
            });
        }
        match (format, &pictures, &info) {
            (ExportFormat::DicomSeg, _, Some(info)) => {
                for (set, manifest) in clip.sets.iter().zip(&mut entry.label_sets) {
                    if let Some(file) = self.segmentation(clip, info, set)? {
                        manifest.files.push(file);
                    }
                }
            }
            (ExportFormat::Nifti, Some(pictures), _) => {
                entry.files.push(self.image_volume(clip, pictures)?);
                for (set, manifest) in clip.sets.iter().zip(&mut entry.label_sets) {
                    manifest.files.push(self.label_volume(clip, set)?);
                }
            }
            (ExportFormat::Camus, Some(pictures), _) => {
                // CAMUS holds one expert's ED and ES per patient: the first
                // label set that has both (one patient per clip, so a split
                // never puts a clip on both sides).
                let mut taken = false;
                for (set, manifest) in clip.sets.iter().zip(&mut entry.label_sets) {
                    let (Some(ed), Some(es)) = (manifest.end_diastole, manifest.end_systole) else {
                        self.skipped.push(format!(
                            "{}: no annotated ED and ES frames, so nothing for the CAMUS layout",
                            set.name
                        ));
                        continue;
                    };
                    if taken {
                        self.skipped.push(format!(
                            "{}: the CAMUS layout holds one expert per clip; left out (choose with --annotator or --consensus)",
                            set.name
                        ));
                        continue;
                    }
                    taken = true;
                    manifest.frames = vec![ed, es];
                    manifest.files = self.camus(clip, set, [ed, es], pictures)?;
                }
            }
            (ExportFormat::NnUnet | ExportFormat::Png, Some(pictures), _) => {
                for (set, manifest) in clip.sets.iter().zip(&mut entry.label_sets) {
                    manifest.files.extend(self.frames(clip, set, pictures)?);
                }
            }
            (ExportFormat::Csv, _, _) => {
                if self.tables.is_none() {
                    self.tables = Some(Tables::create(self.staging)?);
                    self.counts.files += 2;
                    self.roles = self
                        .project
                        .annotators()?
                        .into_iter()
                        .map(|a| (a.name, a.role))
                        .collect();
                }
                let tables = self.tables.as_mut().expect("created above");
                let (annotations, key_frames) = tables.clip(
                    self.project,
                    clip,
                    &self.roles,
                    &self.request.filters.labels,
                    &mut self.models,
                )?;
                self.counts.annotations += annotations;
                self.counts.key_frames += key_frames;
            }
            _ => unreachable!("image formats always decode the clip"),
        }
        // What was written: the frames each set's files hold, and their
        // contours of the structures the format keeps.
        let max_class = match format {
            ExportFormat::Camus | ExportFormat::Png => CAMUS_CLASSES.len() - 1,
            _ => usize::MAX,
        };
        for (set, manifest) in clip.sets.iter().zip(&entry.label_sets) {
            if format == ExportFormat::Csv || !manifest.files.is_empty() {
                self.counts.label_sets += 1;
                self.counts.frames += manifest.frames.len();
                if format != ExportFormat::Csv {
                    self.counts.annotations += manifest
                        .frames
                        .iter()
                        .flat_map(|frame| &set.contours[frame])
                        .filter(|a| {
                            self.selection
                                .class_of(&a.target)
                                .is_some_and(|c| c <= max_class)
                        })
                        .count();
                }
            }
        }
        let any_files = format == ExportFormat::Csv
            || !entry.files.is_empty()
            || entry.label_sets.iter().any(|s| !s.files.is_empty());
        Ok(any_files.then_some(entry))
    }

    /// Closes what spans clips: the CSV tables, nnU-Net's `dataset.json`.
    pub fn finish(&mut self) -> Result<(), ExportError> {
        if let Some(tables) = self.tables.take() {
            tables.finish()?;
        }
        if self.request.format == ExportFormat::NnUnet && self.counts.files > 0 {
            let labels: serde_json::Map<String, serde_json::Value> = self
                .selection
                .classes()
                .into_iter()
                .enumerate()
                .map(|(value, name)| (name, value.into()))
                .collect();
            let dataset = serde_json::json!({
                "name": "EchoLabel",
                "description": "Echocardiography contours exported by EchoLabel",
                "channel_names": { "0": "US" },
                "labels": labels,
                "numTraining": self.counts.frames,
                "file_ending": ".nii.gz",
            });
            let path = self.staging.file("dataset.json")?;
            std::fs::write(
                &path,
                serde_json::to_vec_pretty(&dataset).expect("the dataset description serialises"),
            )
            .map_err(|source| ExportError::Io { path, source })?;
            self.counts.files += 1;
        }
        Ok(())
    }

    /// One SEG instance of a label set: a segment per structure and the way
    /// it was made, a frame per segment and labelled clip frame.
    fn segmentation(
        &mut self,
        clip: &ClipSelection,
        info: &ClipInfo,
        set: &LabelSet,
    ) -> Result<Option<String>, ExportError> {
        let (width, height) = (info.cols as usize, info.rows as usize);
        let mut by_segment: BTreeMap<(usize, Origin), Vec<(u32, crate::geometry::Mask)>> =
            BTreeMap::new();
        for (&frame, annotations) in &set.contours {
            let labels = class_map(self.selection, set, frame, width, height, usize::MAX);
            for annotation in annotations {
                let Some(class) = self.selection.class_of(&annotation.target) else {
                    continue;
                };
                let origin = match annotation.source {
                    Source::Human => Origin::Manual,
                    Source::Model => Origin::SemiAutomatic(
                        self.models.name(self.project, annotation.model_version_id),
                    ),
                    Source::PseudoLabel => Origin::Automatic(
                        self.models.name(self.project, annotation.model_version_id),
                    ),
                    Source::Consensus => Origin::SemiAutomatic("EchoLabel consensus".into()),
                };
                by_segment
                    .entry((class, origin))
                    .or_default()
                    .push((frame, class_mask(&labels, width, height, class)));
            }
        }
        if by_segment.is_empty() {
            return Ok(None);
        }
        let mut segments = Vec::new();
        let mut frames = Vec::new();
        for (index, ((class, origin), masks)) in by_segment.into_iter().enumerate() {
            segments.push(Segment {
                structure: self.selection.structures[class - 1].clone(),
                origin,
            });
            frames.extend(masks.into_iter().map(|(frame, mask)| SegFrame {
                segment: index,
                source_frame: frame,
                mask,
            }));
        }
        let relative_path = format!("{}.dcm", set.name);
        let path = self.staging.file(&relative_path)?;
        let patient = patient_reference(&clip.clip);
        dicom_seg::write(
            &path,
            &Segmentation {
                source: SourceClip {
                    sop_class_uid: &info.sop_class_uid,
                    sop_instance_uid: &clip.clip.sop_instance_uid,
                    series_instance_uid: clip.clip.series_instance_uid.as_deref(),
                    study_instance_uid: clip.clip.study_instance_uid.as_deref(),
                    multi_frame: info.frames > 1
                        || MULTI_FRAME_CLASSES.contains(&info.sop_class_uid.as_str()),
                    rows: info.rows,
                    cols: info.cols,
                },
                patient_reference: &patient,
                author: &set.author,
                software_version: env!("CARGO_PKG_VERSION"),
                segments,
                frames,
            },
        )?;
        self.wrote(path);
        Ok(Some(relative_path))
    }

    /// The clip's frames as one volume, `rows × cols × frames`.
    fn image_volume(
        &mut self,
        clip: &ClipSelection,
        pictures: &Pictures,
    ) -> Result<String, ExportError> {
        let (rows, cols) = (clip.clip.rows as usize, clip.clip.cols as usize);
        let frames: Vec<Vec<u8>> = (0..clip.clip.frames)
            .map(|f| pictures.gray(f))
            .collect::<Result<_, _>>()?;
        let relative_path = format!("{}_image.nii.gz", clip.name);
        self.volume(&relative_path, rows, cols, &frames, clip)?;
        Ok(relative_path)
    }

    /// A label set as one volume, `rows × cols × frames`; unlabelled frames are 0.
    fn label_volume(
        &mut self,
        clip: &ClipSelection,
        set: &LabelSet,
    ) -> Result<String, ExportError> {
        let (rows, cols) = (clip.clip.rows as usize, clip.clip.cols as usize);
        let frames: Vec<Vec<u8>> = (0..clip.clip.frames)
            .map(|f| class_map(self.selection, set, f, cols, rows, usize::MAX))
            .collect();
        let relative_path = format!("{}_label.nii.gz", set.name);
        self.volume(&relative_path, rows, cols, &frames, clip)?;
        Ok(relative_path)
    }

    /// Writes row-major frames as a `[rows, cols, frames]` volume (rows fastest).
    fn volume(
        &mut self,
        relative_path: &str,
        rows: usize,
        cols: usize,
        frames: &[Vec<u8>],
        clip: &ClipSelection,
    ) -> Result<(), ExportError> {
        let mut data = Vec::with_capacity(rows * cols * frames.len());
        for frame in frames {
            for col in 0..cols {
                data.extend((0..rows).map(|row| frame[row * cols + col]));
            }
        }
        let (x, y) = spacing(clip);
        self.nifti(
            relative_path,
            &[rows, cols, frames.len()],
            data,
            &[y, x, 1.0],
            &format!("EchoLabel {} ({} frames)", clip.name, frames.len()),
        )
    }

    /// The CAMUS files of a label set: its ED and ES frames, image and truth,
    /// as the next patient.
    fn camus(
        &mut self,
        clip: &ClipSelection,
        set: &LabelSet,
        [ed, es]: [u32; 2],
        pictures: &Pictures,
    ) -> Result<Vec<String>, ExportError> {
        self.patients += 1;
        let patient = format!("patient{:04}", self.patients);
        let mut files = Vec::new();
        for (phase, frame) in [("ED", ed), ("ES", es)] {
            let stem = format!("{patient}/{patient}_{CAMUS_VIEW}_{phase}");
            files.push(self.frame_file(clip, &format!("{stem}.nii.gz"), pictures.gray(frame)?)?);
            let labels = self.frame_labels(clip, set, frame, CAMUS_CLASSES.len() - 1);
            files.push(self.frame_file(clip, &format!("{stem}_gt.nii.gz"), labels)?);
        }
        Ok(files)
    }

    /// The nnU-Net cases or PNG pairs of a label set, one per labelled frame.
    fn frames(
        &mut self,
        clip: &ClipSelection,
        set: &LabelSet,
        pictures: &Pictures,
    ) -> Result<Vec<String>, ExportError> {
        let mut files = Vec::new();
        for &frame in set.contours.keys() {
            // `clip0007_012-anna`: grouped by clip (the name before the last
            // `_`), so two experts' frames of a clip stay on one side of a split.
            let case = format!("{}_{frame:03}-{}", clip.name, set.slug);
            let gray = pictures.gray(frame)?;
            if self.request.format == ExportFormat::Png {
                let labels = self.frame_labels(clip, set, frame, CAMUS_CLASSES.len() - 1);
                files.push(self.png(clip, &format!("images/{case}.png"), gray)?);
                files.push(self.png(clip, &format!("masks/{case}.png"), labels)?);
            } else {
                let labels = self.frame_labels(clip, set, frame, usize::MAX);
                files.push(self.frame_file(clip, &format!("imagesTr/{case}_0000.nii.gz"), gray)?);
                files.push(self.frame_file(clip, &format!("labelsTr/{case}.nii.gz"), labels)?);
            }
        }
        Ok(files)
    }

    /// A frame's class map with classes above `max_class` dropped (and said so).
    fn frame_labels(
        &mut self,
        clip: &ClipSelection,
        set: &LabelSet,
        frame: u32,
        max_class: usize,
    ) -> Vec<u8> {
        let (rows, cols) = (clip.clip.rows as usize, clip.clip.cols as usize);
        let dropped: Vec<&str> = set.contours[&frame]
            .iter()
            .filter(|a| {
                self.selection
                    .class_of(&a.target)
                    .is_none_or(|c| c > max_class)
            })
            .map(|a| a.target.as_str())
            .collect();
        if !dropped.is_empty() {
            self.skipped.push(format!(
                "{} frame {frame}: {} not written (the {} layout holds the CAMUS structures only)",
                set.name,
                dropped.join(", "),
                self.request.format
            ));
        }
        class_map(self.selection, set, frame, cols, rows, max_class)
    }

    /// A 2-D frame as NIfTI `[cols, rows]` (x fastest: our row-major order).
    fn frame_file(
        &mut self,
        clip: &ClipSelection,
        relative_path: &str,
        pixels: Vec<u8>,
    ) -> Result<String, ExportError> {
        let (x, y) = spacing(clip);
        self.nifti(
            relative_path,
            &[clip.clip.cols as usize, clip.clip.rows as usize],
            pixels,
            &[x, y],
            &format!("EchoLabel {}", clip.name),
        )?;
        Ok(relative_path.to_string())
    }

    fn nifti(
        &mut self,
        relative_path: &str,
        dims: &[usize],
        data: Vec<u8>,
        spacing: &[f32],
        description: &str,
    ) -> Result<(), ExportError> {
        let path = self.staging.file(relative_path)?;
        write_volume(&path, dims, data, spacing, description).map_err(|e| ExportError::Nifti {
            path: path.clone(),
            message: e.to_string(),
        })?;
        self.wrote(path);
        Ok(())
    }

    fn png(
        &mut self,
        clip: &ClipSelection,
        relative_path: &str,
        pixels: Vec<u8>,
    ) -> Result<String, ExportError> {
        let path = self.staging.file(relative_path)?;
        let image = image::GrayImage::from_raw(clip.clip.cols, clip.clip.rows, pixels)
            .ok_or_else(|| ExportError::Invalid(format!("{}: frame size mismatch", clip.name)))?;
        image.save(&path).map_err(|e| ExportError::Image {
            path: path.clone(),
            message: e.to_string(),
        })?;
        self.wrote(path);
        Ok(relative(Path::new(relative_path)))
    }
}

/// Millimetres per pixel `(x, y)`, or 1 where the clip is not calibrated.
fn spacing(clip: &ClipSelection) -> (f32, f32) {
    clip.clip
        .mm_per_pixel
        .map_or((1.0, 1.0), |(x, y)| (x as f32, y as f32))
}

/// The first key frame of `kind` the set has contours on: the set's author's
/// own marks first, then anyone's (a combined set has no marks of its own).
fn key_frame(clip: &ClipSelection, set: &LabelSet, kind: KeyFrameKind) -> Option<u32> {
    let marks = || clip.key_frames.iter().filter(|k| k.kind == kind);
    marks()
        .filter(|k| Some(k.author_id) == set.author_id)
        .chain(marks())
        .map(|k| k.frame)
        .find(|frame| set.contours.contains_key(frame))
}

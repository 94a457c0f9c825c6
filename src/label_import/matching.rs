//! Which clip (and, for single-frame files, which frame) a label file is of:
//! an EchoLabel export's `manifest.json` names it; otherwise a mapping CSV
//! (`name,sop_instance_uid[,ed_frame,es_frame]`); otherwise a clip whose file
//! has that name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::LabelImportError;
use crate::export::MANIFEST;
use crate::store::{ClipRecord, KeyFrameKind, Project, SetBy};

/// Where a label file's labels go.
#[derive(Debug, Clone)]
pub struct Target {
    pub clip: ClipRecord,
    /// The frame of a 2-D file (CAMUS, PNG): `None` when the file holds every frame.
    pub frame: Option<u32>,
}

/// What a mapping row says of a name.
#[derive(Debug, Clone, Default)]
struct Mapped {
    sop_instance_uid: String,
    end_diastole: Option<u32>,
    end_systole: Option<u32>,
}

#[derive(Deserialize)]
struct ManifestFile {
    clips: Vec<ManifestClip>,
    #[serde(default)]
    classes: Vec<String>,
}

#[derive(Deserialize)]
struct ManifestClip {
    sop_instance_uid: String,
    label_sets: Vec<ManifestSet>,
}

#[derive(Deserialize)]
struct ManifestSet {
    name: String,
    frames: Vec<u32>,
    end_diastole: Option<u32>,
    end_systole: Option<u32>,
    files: Vec<String>,
}

/// The names a folder's label files can be matched by.
#[derive(Debug, Default)]
pub struct Names {
    /// Label-set or file name → mapping.
    names: HashMap<String, Mapped>,
    /// Relative file path (from a manifest) → SOP Instance UID and frame.
    files: HashMap<String, (String, Option<u32>)>,
    /// Mask classes the manifest gives (class `i` is `classes[i]`).
    pub classes: Option<Vec<String>>,
    /// The project's clips, read once for matching by file name.
    clips: std::cell::OnceCell<Vec<ClipRecord>>,
}

impl Names {
    /// The names of `folder`: its manifest if it has one, and `mapping` if given.
    pub fn read(folder: &Path, mapping: Option<&Path>) -> Result<Names, LabelImportError> {
        let mut names = Names::default();
        let manifest = folder.join(MANIFEST);
        if manifest.is_file() {
            let text =
                std::fs::read_to_string(&manifest).map_err(|source| LabelImportError::Io {
                    path: manifest.clone(),
                    source,
                })?;
            let parsed: ManifestFile =
                serde_json::from_str(&text).map_err(|e| LabelImportError::File {
                    path: manifest.clone(),
                    message: format!("not an EchoLabel manifest: {e}"),
                })?;
            for clip in parsed.clips {
                for set in clip.label_sets {
                    for file in &set.files {
                        let frame = single_frame(file, &set);
                        names
                            .files
                            .insert(file.clone(), (clip.sop_instance_uid.clone(), frame));
                    }
                    names.names.insert(
                        set.name,
                        Mapped {
                            sop_instance_uid: clip.sop_instance_uid.clone(),
                            end_diastole: set.end_diastole,
                            end_systole: set.end_systole,
                        },
                    );
                }
            }
            if !parsed.classes.is_empty() {
                names.classes = Some(parsed.classes);
            }
        }
        if let Some(mapping) = mapping {
            names.read_mapping(mapping)?;
        }
        Ok(names)
    }

    fn read_mapping(&mut self, path: &Path) -> Result<(), LabelImportError> {
        let bad = |message: String| LabelImportError::File {
            path: path.to_path_buf(),
            message,
        };
        let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
        let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(name), Some(uid)) = (column("name"), column("sop_instance_uid")) else {
            return Err(bad(
                "a mapping needs the columns name and sop_instance_uid (and may have ed_frame, es_frame)"
                    .into(),
            ));
        };
        let (ed, es) = (column("ed_frame"), column("es_frame"));
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| bad(e.to_string()))?;
            let frame = |index: Option<usize>| -> Result<Option<u32>, LabelImportError> {
                match index.and_then(|i| row.get(i)).map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(text) => text.parse().map(Some).map_err(|_| {
                        bad(format!("row {}: frame {text:?} is not a number", line + 2))
                    }),
                }
            };
            self.names.insert(
                row.get(name).unwrap_or_default().trim().to_string(),
                Mapped {
                    sop_instance_uid: row.get(uid).unwrap_or_default().trim().to_string(),
                    end_diastole: frame(ed)?,
                    end_systole: frame(es)?,
                },
            );
        }
        Ok(())
    }

    /// The clip `name` (a label-set, case or clip name) stands for, and for a
    /// CAMUS phase the frame: from the manifest's file list, the names, or a
    /// clip file called `name`.
    pub fn target(
        &self,
        project: &Project,
        file: &Path,
        relative: &str,
        name: &str,
        phase: Option<KeyFrameKind>,
    ) -> Result<Target, LabelImportError> {
        if let Some((uid, frame)) = self.files.get(relative) {
            let clip = by_uid(project, file, uid)?;
            return Ok(Target {
                clip,
                frame: *frame,
            });
        }
        if let Some(mapped) = self.names.get(name) {
            let clip = by_uid(project, file, &mapped.sop_instance_uid)?;
            let frame = match phase {
                Some(KeyFrameKind::EndDiastole) => mapped.end_diastole,
                Some(KeyFrameKind::EndSystole) => mapped.end_systole,
                None => None,
            };
            return self.with_phase(project, file, clip, frame, phase);
        }
        let clips = match self.clips.get() {
            Some(clips) => clips,
            None => {
                let clips = project.clips(None)?;
                self.clips.get_or_init(|| clips)
            }
        };
        let found = clips
            .iter()
            .find(|clip| {
                project
                    .clip_file(clip)
                    .file_stem()
                    .is_some_and(|stem| stem.to_string_lossy().eq_ignore_ascii_case(name))
            })
            .cloned();
        match found {
            Some(clip) => self.with_phase(project, file, clip, None, phase),
            None => Err(LabelImportError::File {
                path: file.to_path_buf(),
                message: format!(
                    "no clip of the project is named {name:?}; give a mapping CSV (name,sop_instance_uid)"
                ),
            }),
        }
    }

    /// A CAMUS phase's frame: as mapped, else the clip's key frame (a
    /// person's mark before a model's).
    fn with_phase(
        &self,
        project: &Project,
        file: &Path,
        clip: ClipRecord,
        frame: Option<u32>,
        phase: Option<KeyFrameKind>,
    ) -> Result<Target, LabelImportError> {
        let Some(kind) = phase else {
            return Ok(Target { clip, frame: None });
        };
        let frame = match frame {
            Some(frame) => frame,
            None => {
                let mut marks: Vec<_> = project
                    .key_frames(clip.id)?
                    .into_iter()
                    .filter(|k| k.kind == kind)
                    .collect();
                marks.sort_by_key(|k| (k.set_by != SetBy::Human, k.frame));
                marks.first().map(|k| k.frame).ok_or_else(|| LabelImportError::File {
                    path: file.to_path_buf(),
                    message: format!(
                        "clip{:04} has no {kind} frame marked; give it in the mapping CSV ({}_frame)",
                        clip.id,
                        kind.as_str().to_lowercase()
                    ),
                })?
            }
        };
        Ok(Target {
            clip,
            frame: Some(frame),
        })
    }
}

/// The frame a file of an exported label set holds alone, if it holds one:
/// CAMUS files by their phase, PNG and nnU-Net files by the frame in their
/// name; `None` for volumes and SEG files.
fn single_frame(file: &str, set: &ManifestSet) -> Option<u32> {
    let name = file.rsplit('/').next()?;
    let stem = [".nii.gz", ".nii", ".png"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))?;
    let stem = stem.strip_suffix("_gt").unwrap_or(stem);
    let stem = stem.strip_suffix("_0000").unwrap_or(stem);
    if stem.ends_with("_ED") {
        return set.end_diastole;
    }
    if stem.ends_with("_ES") {
        return set.end_systole;
    }
    let (_, frame) = stem.rsplit_once('_')?;
    let frame = super::leading_number(frame)?;
    set.frames.contains(&frame).then_some(frame)
}

pub fn by_uid(project: &Project, file: &Path, uid: &str) -> Result<ClipRecord, LabelImportError> {
    project
        .clip_by_uid(uid)?
        .ok_or_else(|| LabelImportError::File {
            path: file.to_path_buf(),
            message: format!(
                "refers to a clip (SOP Instance UID {uid}) that is not in the project"
            ),
        })
}

/// Every file under `folder` whose name ends with one of `suffixes`, sorted.
pub fn files_with(folder: &Path, suffixes: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(folder)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| entry.into_path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            suffixes.iter().any(|suffix| name.ends_with(suffix))
        })
        .collect();
    files.sort();
    files
}

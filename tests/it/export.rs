//! Exports and imports of labels, end to end through the `echolabel` binary:
//! a phantom project annotated from its truth with `import-annotations`
//! exports in every format; independent readers (dciodvfy, pydicom,
//! highdicom, nibabel) read the files; re-importing the SEG, NIfTI and PNG
//! exports gives back the same masks; the training layouts train and
//! evaluate; nothing identifying leaves; bad label files are refused whole.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use echolabel::export::{ExportError, ExportFormat, ExportRequest, Filters, MANIFEST, export};
use echolabel::geometry::{self, Point};
use echolabel::model::dataset::read_phantom_folder;
use echolabel::store::{
    AnnotationStatus, ContourKey, Geometry, ImportOptions, KeyFrameKind, Project, Role, SetBy,
    import_folder,
};

use crate::common::{dicom_dir, echolabel, stdout};

const SEED: u64 = 31;
const TRUTH: &str = "Phantom truth";

fn run(args: &[&str]) -> String {
    let output = echolabel(args);
    assert!(
        output.status.success(),
        "echolabel {args:?} failed:\n{}\n{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

fn import_clips(root: &Path, folder: &Path) -> Project {
    let mut project = Project::open_or_create(root).unwrap();
    let by = crate::common::admin(&mut project);
    let summary = import_folder(
        &mut project,
        by,
        folder,
        "phantoms",
        &ImportOptions::default(),
        |_, _, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(summary.failed.is_empty(), "{summary:?}");
    project
}

/// The phantom truth of every 6th frame and the ED/ES frames, as the PNG
/// layout names it after the clips' files; the ED and ES frames are marked.
fn truth_as_png(data: &Path, project: &mut Project, out: &Path) -> usize {
    std::fs::create_dir_all(out.join("masks")).unwrap();
    let mut written = 0;
    for clip in read_phantom_folder(data).unwrap() {
        let dicom = clip.dicom.clone().unwrap();
        let stem = dicom.file_stem().unwrap().to_string_lossy().into_owned();
        let record = project
            .clips(None)
            .unwrap()
            .into_iter()
            .find(|c| project.clip_file(c).file_stem().unwrap().to_string_lossy() == stem)
            .unwrap();
        let (ed, es) = (clip.end_diastole[0], clip.end_systole[0]);
        let marker = crate::common::admin(project);
        project
            .set_key_frame(
                record.id,
                KeyFrameKind::EndDiastole,
                ed,
                SetBy::Human,
                marker,
                None,
            )
            .unwrap();
        project
            .set_key_frame(
                record.id,
                KeyFrameKind::EndSystole,
                es,
                SetBy::Human,
                marker,
                None,
            )
            .unwrap();
        for frame in &clip.frames {
            if frame.frame % 6 != 0 && frame.frame != ed && frame.frame != es {
                continue;
            }
            image::GrayImage::from_raw(
                frame.width as u32,
                frame.height as u32,
                frame.labels.clone(),
            )
            .unwrap()
            .save(out.join(format!("masks/{stem}_{:03}.png", frame.frame)))
            .unwrap();
            written += 1;
        }
    }
    written
}

/// Every contour of `author`, by (SOP UID, frame, structure), as filled masks.
fn masks_of(project: &Project, author: &str) -> Vec<((String, u32, String), geometry::Mask)> {
    let mut out = Vec::new();
    for clip in project.clips(None).unwrap() {
        for a in project.annotations(clip.id, None).unwrap() {
            if a.author == author {
                out.push((
                    (clip.sop_instance_uid.clone(), a.frame, a.target.clone()),
                    geometry::fill(&a.geometry.contour, clip.cols as usize, clip.rows as usize),
                ));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn assert_same_masks(
    expected: &[((String, u32, String), geometry::Mask)],
    got: &[((String, u32, String), geometry::Mask)],
    what: &str,
) {
    assert_eq!(
        expected.iter().map(|e| &e.0).collect::<Vec<_>>(),
        got.iter().map(|g| &g.0).collect::<Vec<_>>(),
        "{what}: the same frames and structures come back"
    );
    for (e, g) in expected.iter().zip(got) {
        assert_eq!(
            e.1.dice(&g.1),
            1.0,
            "{what}: {:?} comes back pixel for pixel",
            e.0
        );
    }
}

/// Every byte of every file under `dir` (gzip inflated), to grep.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            let bytes = if e.path().to_string_lossy().ends_with(".gz") {
                let mut inflated = Vec::new();
                flate2::read::GzDecoder::new(bytes.as_slice())
                    .read_to_end(&mut inflated)
                    .unwrap();
                inflated
            } else {
                bytes
            };
            (e.path().to_path_buf(), bytes)
        })
        .collect()
}

fn python(script: &str, args: &[&Path]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// pydicom and highdicom read every SEG of `seg`, nibabel every volume of
/// `nifti` (shape rows × cols × frames, spacing from the calibration), and
/// each SEG segment on each source frame equals the NIfTI label volume's
/// pixels of that class. Prints how many SEG files were checked.
const CHECK_SCRIPT: &str = r#"
import sys, json, pathlib
import numpy as np, pydicom, highdicom as hd, nibabel as nib
seg_dir, nii_dir = map(pathlib.Path, sys.argv[1:3])
seg_m = json.load(open(seg_dir / 'manifest.json'))
nii_m = json.load(open(nii_dir / 'manifest.json'))
classes = nii_m['classes']
code_class = {'87878005': classes.index('LV endocardium'),
              '49848007': classes.index('Myocardium'),
              '82471001': classes.index('Left atrium')}
nii_sets = {s['name']: (c, s) for c in nii_m['clips'] for s in c['label_sets']}
checked = 0
for clip in seg_m['clips']:
    for s in clip['label_sets']:
        for f in s['files']:
            ds = pydicom.dcmread(seg_dir / f)
            assert ds.Modality == 'SEG' and ds.SegmentationType == 'BINARY'
            assert ds.PatientIdentityRemoved == 'YES' and str(ds.PatientName) == clip['patient']
            seg = hd.seg.segread(seg_dir / f)
            frames = s['frames']
            if clip['frames'] > 1:
                px = seg.get_pixels_by_source_frame(
                    clip['sop_instance_uid'], source_frame_numbers=[x + 1 for x in frames],
                    assert_missing_frames_are_empty=True)
            else:
                # A single-frame source is referenced without frame numbers.
                px = seg.get_pixels_by_source_instance([clip['sop_instance_uid']])
            nclip, nset = nii_sets[s['name']]
            label = nib.load(nii_dir / nset['files'][0])
            assert label.shape == (clip['rows'], clip['cols'], clip['frames']), label.shape
            image = nib.load(nii_dir / nclip['files'][0])
            assert image.shape == label.shape, image.shape
            zooms = label.header.get_zooms()
            if clip['mm_per_pixel']:
                mx, my = clip['mm_per_pixel']
                assert abs(zooms[0] - my) < 1e-4 and abs(zooms[1] - mx) < 1e-4, zooms
                assert abs(label.affine[0, 0] - my) < 1e-4 and abs(label.affine[1, 1] - mx) < 1e-4
            assert nib.aff2axcodes(label.affine) == ('R', 'A', 'S')
            data = np.asarray(label.dataobj)
            for index, item in enumerate(ds.SegmentSequence):
                cls = code_class[item.SegmentedPropertyTypeCodeSequence[0].CodeValue]
                for fi, frame in enumerate(frames):
                    ours = data[:, :, frame] == cls
                    theirs = px[fi, :, :, index].astype(bool)
                    assert np.array_equal(theirs, ours), (f, frame, item.SegmentLabel, theirs.sum(), ours.sum(), px.shape)
                    assert ours.sum() > 0
            checked += 1
print(checked)
"#;

/// dciodvfy's complaints about `file` that are errors (warnings are listed
/// by the caller only when something fails).
fn dciodvfy_errors(file: &Path) -> Vec<String> {
    let output = Command::new("dciodvfy")
        .arg(file)
        .output()
        .expect("dciodvfy runs (.ci/run installs dicom3tools)");
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&output.stdout).lines())
        .filter(|l| l.starts_with("Error"))
        .map(str::to_string)
        .collect()
}

fn files_of(manifest: &serde_json::Value) -> Vec<String> {
    manifest["clips"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["files"].as_array().unwrap().iter().cloned().chain(
                c["label_sets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|s| s["files"].as_array().unwrap().clone()),
            )
        })
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_phantom_project_exports_in_every_format_and_comes_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phantoms");
    echolabel::phantom::write_dataset(&data, 3, SEED, |_, _| {}).unwrap();
    let root = dir.path().join("project");
    let mut project = import_clips(&root, &data);
    let truth = dir.path().join("truth");
    let frames = truth_as_png(&data, &mut project, &truth);
    drop(project);

    // The truth comes in as one annotator's submitted contours, traced exactly.
    let root_arg = root.to_str().unwrap();
    let said = run(&[
        "import-annotations",
        truth.to_str().unwrap(),
        "--project",
        root_arg,
        "--format",
        "png",
        "--annotator",
        TRUTH,
        "--tolerance",
        "0",
    ]);
    assert!(
        said.contains(&format!(
            "imported {frames} file(s): {} contour(s)",
            3 * frames
        )),
        "{said}"
    );
    // Importing the same labels again never replaces the annotator's work.
    let again = echolabel(&[
        "import-annotations",
        truth.to_str().unwrap(),
        "--project",
        root_arg,
        "--format",
        "png",
        "--annotator",
        TRUTH,
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has"));
    let project = Project::open(&root).unwrap();
    let truth_masks = masks_of(&project, TRUTH);
    assert_eq!(truth_masks.len(), 3 * frames);
    for clip in project.clips(None).unwrap() {
        for a in project.annotations(clip.id, None).unwrap() {
            assert_eq!(a.status, AnnotationStatus::Submitted);
        }
    }
    // The traced contours are the truth's pixels, myocardium as the ring
    // around the cavity: painting them gives back the truth masks.
    for clip in read_phantom_folder(&data).unwrap() {
        let uid = echolabel::dicom::Clip::read_info(clip.dicom.as_ref().unwrap(), project.salt())
            .unwrap()
            .sop_instance_uid;
        let record = project.clip_by_uid(&uid).unwrap().unwrap();
        let annotations = project.annotations(record.id, None).unwrap();
        for frame in clip
            .frames
            .iter()
            .filter(|f| annotations.iter().any(|a| a.frame == f.frame))
        {
            let contour = |name: &str| {
                annotations
                    .iter()
                    .find(|a| a.frame == frame.frame && a.target == name)
                    .map(|a| a.geometry.contour.as_slice())
            };
            let painted = geometry::paint_class_map(
                &[
                    contour("LV endocardium"),
                    contour("Myocardium"),
                    contour("Left atrium"),
                ],
                frame.width,
                frame.height,
            );
            assert_eq!(painted, frame.labels, "frame {}", frame.frame);
        }
    }
    drop(project);

    let out = dir.path().join("exports");
    for format in ExportFormat::ALL {
        let target = out.join(format.as_str());
        let said = run(&[
            "export",
            "--project",
            root_arg,
            "--format",
            format.as_str(),
            "--out",
            target.to_str().unwrap(),
        ]);
        assert!(said.contains("exported 3 clip(s)"), "{format}: {said}");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(target.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest["format"], format.as_str());
        assert_eq!(manifest["echolabel_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            manifest["filters"]["statuses"],
            serde_json::json!(["submitted", "accepted"])
        );
        for file in files_of(&manifest) {
            assert!(
                target.join(&file).is_file(),
                "{format}: {file} is listed and written"
            );
        }
        // An export never writes into a folder that holds something.
        let again = echolabel(&[
            "export",
            "--project",
            root_arg,
            "--format",
            format.as_str(),
            "--out",
            target.to_str().unwrap(),
        ]);
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    }
    let counts = |format: &str| {
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(format).join(MANIFEST)).unwrap())
                .unwrap();
        manifest["counts"].clone()
    };
    assert_eq!(counts("dicom-seg")["files"], 3);
    assert_eq!(counts("png")["files"], 2 * frames);
    assert_eq!(counts("nnunet")["files"], 2 * frames + 1);
    assert_eq!(counts("camus")["files"], 3 * 4);
    assert_eq!(counts("csv")["annotations"], 3 * frames);
    assert_eq!(counts("csv")["key_frames"], 6);

    // Independent readers.
    for entry in std::fs::read_dir(out.join("dicom-seg")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "dcm") {
            let errors = dciodvfy_errors(&path);
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }
    let checked = python(CHECK_SCRIPT, &[&out.join("dicom-seg"), &out.join("nifti")]);
    assert_eq!(checked.trim(), "3");
    let csv = std::fs::read_to_string(out.join("csv/annotations.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("area_mm2")
            && header.contains("area_px")
            && header.contains("contour_points_px")
    );
    assert!(
        std::fs::read_to_string(out.join("csv/key_frames.csv"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .contains("time_ms")
    );

    // Nothing identifying leaves: the phantom files carry a patient name and ID.
    // Nor the phantoms' file names or the folder they are in.
    let mut forbidden: Vec<String> = (1..=3)
        .flat_map(|n| [format!("PHANTOM^{n:04}"), format!("PHANTOM-{SEED}-{n:04}")])
        .collect();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "dcm") {
            forbidden.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    forbidden.push(data.display().to_string());
    for (path, bytes) in contents(&out) {
        for word in &forbidden {
            assert!(
                !bytes.windows(word.len()).any(|w| w == word.as_bytes()),
                "{} carries {word}",
                path.display()
            );
        }
    }

    // Re-importing the SEG, NIfTI and PNG exports into fresh projects gives
    // back the same masks.
    for (format, folder) in [
        ("dicom-seg", "dicom-seg"),
        ("nifti", "nifti"),
        ("png", "png"),
    ] {
        let fresh = dir.path().join(format!("fresh-{format}"));
        drop(import_clips(&fresh, &data));
        run(&[
            "import-annotations",
            out.join(folder).to_str().unwrap(),
            "--project",
            fresh.to_str().unwrap(),
            "--format",
            format,
            "--annotator",
            "Reader",
            "--tolerance",
            "0",
        ]);
        let again = masks_of(&Project::open(&fresh).unwrap(), "Reader");
        assert_same_masks(&truth_masks, &again, format);
    }
    // At the default tolerance contours have fewer vertices and stay within it.
    let fresh = dir.path().join("fresh-default");
    drop(import_clips(&fresh, &data));
    run(&[
        "import-annotations",
        out.join("dicom-seg").to_str().unwrap(),
        "--project",
        fresh.to_str().unwrap(),
        "--format",
        "dicom-seg",
        "--annotator",
        "Reader",
    ]);
    let smooth = masks_of(&Project::open(&fresh).unwrap(), "Reader");
    for (e, g) in truth_masks.iter().zip(&smooth) {
        assert!(e.1.dice(&g.1) > 0.95, "{:?}: Dice {}", e.0, e.1.dice(&g.1));
    }

    // The training layouts train and evaluate.
    for layout in ["camus", "nnunet", "png"] {
        let data = out.join(layout);
        let said = run(&[
            "evaluate",
            "--data",
            data.to_str().unwrap(),
            "--device",
            "cpu",
        ]);
        assert!(said.contains("LV endocardium"), "{layout}: {said}");
        let curves = dir.path().join(format!("curves-{layout}"));
        run(&[
            "simulate",
            "--data",
            data.to_str().unwrap(),
            "--strategy",
            "random",
            "--rounds",
            "1",
            "--budget",
            "1",
            "--initial",
            "2",
            "--seeds",
            "1",
            "--size",
            "32",
            "--filters",
            "4",
            "--steps",
            "2",
            "--samples",
            "2",
            "--no-full-data",
            "--out",
            curves.to_str().unwrap(),
            "--device",
            "cpu",
        ]);
    }
}

/// A project of two real vendor files (a 30-frame YBR cine, 240×320, whose
/// ultrasound region lies outside the image and is ignored, and a
/// single-frame palette image with valid regions) with contours on them.
fn real_project(dir: &Path) -> (PathBuf, Vec<i64>) {
    let source = dir.join("source");
    std::fs::create_dir_all(&source).unwrap();
    for name in ["examples_ybr_color.dcm", "OBXXXX1A.dcm"] {
        std::fs::copy(dicom_dir().join(name), source.join(name)).unwrap();
    }
    let root = dir.join("project");
    let mut project = import_clips(&root, &source);
    let by = crate::common::admin(&mut project);
    let author = project
        .upsert_annotator(by, "Anna Reader", Role::Reviewer, &[])
        .unwrap();
    let mut ids = Vec::new();
    for clip in project.clips(None).unwrap() {
        let (w, h) = (clip.cols as f32, clip.rows as f32);
        // Non-square, off-centre outlines: a transposed reader would see others.
        let cavity: Vec<Point> = vec![
            [w * 0.3, h * 0.2],
            [w * 0.5, h * 0.25],
            [w * 0.45, h * 0.6],
            [w * 0.3, h * 0.55],
        ];
        let wall: Vec<Point> = vec![
            [w * 0.25, h * 0.15],
            [w * 0.56, h * 0.2],
            [w * 0.5, h * 0.68],
            [w * 0.24, h * 0.6],
        ];
        let atrium: Vec<Point> = vec![
            [w * 0.3, h * 0.72],
            [w * 0.45, h * 0.72],
            [w * 0.42, h * 0.9],
        ];
        let frames: Vec<u32> = if clip.frames > 1 {
            vec![0, 7, 29]
        } else {
            vec![0]
        };
        let mut contours = Vec::new();
        for frame in frames {
            for (target, contour) in [
                ("LV endocardium", &cavity),
                ("Myocardium", &wall),
                ("Left atrium", &atrium),
            ] {
                contours.push((
                    ContourKey {
                        clip_id: clip.id,
                        frame,
                        target: target.into(),
                        author_id: author,
                    },
                    Geometry {
                        contour: contour.clone(),
                        ..Geometry::default()
                    },
                ));
            }
        }
        project
            .save_contours(&contours, None, AnnotationStatus::Accepted)
            .unwrap();
        ids.push(clip.id);
    }
    (root, ids)
}

#[test]
fn segmentations_of_real_vendor_files_pass_dciodvfy_and_read_back_frame_by_frame() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = real_project(dir.path());
    let project = Project::open(&root).unwrap();
    let request = |format: ExportFormat, out: &Path| ExportRequest {
        format,
        out: out.to_path_buf(),
        filters: Filters::default(),
        replace: false,
        keep_outside_regions: false,
    };
    let seg = dir.path().join("seg");
    let nifti = dir.path().join("nifti");
    let none = AtomicBool::new(false);
    let summary = export(
        &project,
        &request(ExportFormat::DicomSeg, &seg),
        &mut |_, _, _| {},
        &none,
    )
    .unwrap();
    assert_eq!(summary.manifest.counts.files, 2);
    export(
        &project,
        &request(ExportFormat::Nifti, &nifti),
        &mut |_, _, _| {},
        &none,
    )
    .unwrap();
    for clip in &summary.manifest.clips {
        for set in &clip.label_sets {
            let errors = dciodvfy_errors(&seg.join(&set.files[0]));
            assert!(errors.is_empty(), "{}: {errors:?}", set.files[0]);
        }
    }
    assert_eq!(python(CHECK_SCRIPT, &[&seg, &nifti]).trim(), "2");

    // The palette image's regions blank what lies outside them; the cine has none.
    let nifti_manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(nifti.join(MANIFEST)).unwrap()).unwrap();
    for clip in nifti_manifest["clips"].as_array().unwrap() {
        let multi_frame = clip["frames"].as_u64().unwrap() > 1;
        assert_eq!(
            clip["outside_regions_blanked"].as_bool().unwrap(),
            !multi_frame,
            "{clip}"
        );
    }
    // A cancelled export writes nothing; an empty selection is said plainly.
    let cancelled = dir.path().join("cancelled");
    let error = export(
        &project,
        &request(ExportFormat::Png, &cancelled),
        &mut |_, _, _| {},
        &AtomicBool::new(true),
    )
    .unwrap_err();
    assert!(matches!(error, ExportError::Cancelled));
    assert!(!cancelled.exists());
    let mut drafts = request(ExportFormat::Csv, &dir.path().join("drafts"));
    drafts.filters.statuses = [echolabel::export::StatusFilter::Draft].into();
    assert!(matches!(
        export(&project, &drafts, &mut |_, _, _| {}, &none).unwrap_err(),
        ExportError::Nothing
    ));
}

#[test]
fn burned_in_text_outside_the_ultrasound_regions_is_blanked_unless_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phantoms");
    echolabel::phantom::write_dataset(&data, 1, SEED, |_, _| {}).unwrap();
    // Burn "text" into a pixel outside the sector's region.
    let dicom = &std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "dcm"))
        .unwrap();
    let info =
        echolabel::dicom::Clip::read_info(dicom, &echolabel::dicom::PatientSalt::random()).unwrap();
    assert!(!info.regions.is_empty());
    let (cols, rows) = (info.cols as usize, info.rows as usize);
    let (x, y) = (0..rows)
        .flat_map(|y| (0..cols).map(move |x| (x, y)))
        .find(|&(x, y)| {
            info.regions.iter().all(|r| {
                let (x0, y0, x1, y1) = r.bounds;
                !((x0 as usize..=x1 as usize).contains(&x)
                    && (y0 as usize..=y1 as usize).contains(&y))
            })
        })
        .expect("the sector's region leaves a margin");
    let mut object = dicom_object::open_file(dicom).unwrap();
    let mut pixels = object
        .element(dicom_dictionary_std::tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap()
        .into_owned();
    let frame_bytes = rows * cols;
    for frame in 0..pixels.len() / frame_bytes {
        pixels[frame * frame_bytes + y * cols + x] = 222;
    }
    object.put(dicom_core::DataElement::new(
        dicom_dictionary_std::tags::PIXEL_DATA,
        dicom_core::VR::OB,
        dicom_core::PrimitiveValue::from(pixels),
    ));
    object.write_to_file(dicom).unwrap();
    let root = dir.path().join("project");
    let mut project = import_clips(&root, &data);
    let clip = project.clips(None).unwrap().remove(0);
    let by = crate::common::admin(&mut project);
    let author = project
        .upsert_annotator(by, "A", Role::Annotator, &[])
        .unwrap();
    project
        .save_contours(
            &[(
                ContourKey {
                    clip_id: clip.id,
                    frame: 0,
                    target: "LV endocardium".into(),
                    author_id: author,
                },
                Geometry {
                    contour: vec![[100.0, 100.0], [140.0, 100.0], [120.0, 150.0]],
                    ..Geometry::default()
                },
            )],
            None,
            AnnotationStatus::Submitted,
        )
        .unwrap();
    drop(project);
    let corner = |keep: bool| {
        let out = dir.path().join(format!("png-{keep}"));
        let mut args = vec![
            "export",
            "--project",
            root.to_str().unwrap(),
            "--format",
            "png",
            "--out",
            out.to_str().unwrap(),
        ];
        if keep {
            args.push("--keep-outside-regions");
        }
        run(&args);
        let image = std::fs::read_dir(out.join("images"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        image::open(image)
            .unwrap()
            .into_luma8()
            .get_pixel(x as u32, y as u32)
            .0[0]
    };
    assert_eq!(corner(false), 0, "blanked by default");
    assert_eq!(corner(true), 222, "kept when asked");
}

#[test]
fn a_label_file_that_does_not_fit_its_clip_is_refused_whole_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phantoms");
    echolabel::phantom::write_dataset(&data, 1, SEED, |_, _| {}).unwrap();
    let root = dir.path().join("project");
    let project = import_clips(&root, &data);
    let clip = project.clips(None).unwrap().remove(0);
    let stem = project
        .clip_file(&clip)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    drop(project);
    let labels = dir.path().join("labels/masks");
    std::fs::create_dir_all(&labels).unwrap();
    let mut good = image::GrayImage::new(256, 256);
    for y in 100..140 {
        for x in 90..130 {
            good.put_pixel(x, y, image::Luma([1]));
        }
    }
    good.save(labels.join(format!("{stem}_002.png"))).unwrap();
    let mut small = image::GrayImage::new(200, 256);
    small.put_pixel(10, 10, image::Luma([1]));
    small.save(labels.join(format!("{stem}_003.png"))).unwrap();
    image::GrayImage::from_pixel(256, 256, image::Luma([9]))
        .save(labels.join(format!("{stem}_004.png")))
        .unwrap();
    image::GrayImage::new(256, 256)
        .save(labels.join("somebody_else_001.png"))
        .unwrap();
    let output = echolabel(&[
        "import-annotations",
        labels.parent().unwrap().to_str().unwrap(),
        "--project",
        root.to_str().unwrap(),
        "--format",
        "png",
        "--annotator",
        "Importer",
    ]);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    // Progress goes to the same stream on one rewritten line; failures follow it.
    let failed: Vec<&str> = said.lines().filter(|l| l.starts_with("failed:")).collect();
    assert_eq!(failed.len(), 3, "{said}");
    let line = failed.iter().find(|l| l.contains("_003.png")).unwrap();
    assert!(
        line.contains("200×256") && line.contains(&format!("{stem}.dcm")),
        "names both files: {line}"
    );
    assert!(
        failed
            .iter()
            .any(|l| l.contains("_004.png") && l.contains("value 9"))
    );
    assert!(
        failed
            .iter()
            .any(|l| l.contains("somebody_else_001.png") && l.contains("no clip"))
    );
    assert!(
        stdout(&output).contains("imported 1 file(s): 1 contour(s)"),
        "{}",
        stdout(&output)
    );
    let project = Project::open(&root).unwrap();
    let stored = project.annotations(clip.id, None).unwrap();
    assert_eq!(stored.len(), 1, "only the good file's contour");
    assert_eq!(stored[0].frame, 2);
}

#[test]
fn the_export_dialog_exports_in_the_background_and_refuses_a_used_folder() {
    use crate::ui::{app, dirs, harness, options, wait_until};
    use egui_kittest::kittest::Queryable;
    let dirs = dirs();
    let (root, _) = real_project(dirs.config.parent().unwrap());
    let mut harness = harness(options(&dirs, Some(&root), Some("Anna Reader")));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    let export_once = |harness: &mut crate::ui::H| {
        harness
            .state_mut()
            .as_mut()
            .unwrap()
            .perform(echolabel::app::Action::Export);
        wait_until(harness, "the export form", |h| {
            h.query_by_label("Export annotations").is_some()
        });
        assert!(
            harness
                .query_by_label_contains("DICOM Segmentation")
                .is_some()
        );
        // The first frame of a modal only measures it: let it settle before clicking.
        for _ in 0..3 {
            harness.step();
        }
        harness.get_by_label("Export").click();
        harness.step();
    };
    export_once(&mut harness);
    wait_until(&mut harness, "the export to finish", |h| {
        app(h).notices().any(|(_, text)| text.starts_with("Export"))
    });
    let text = app(&harness)
        .notices()
        .find(|(_, t)| t.starts_with("Export"))
        .unwrap()
        .1
        .to_string();
    assert!(
        text.starts_with("Exported") && text.contains("2 clip(s)") && text.contains("dicom-seg"),
        "{text}"
    );
    let manifest = root.join("exports/dicom-seg").join(MANIFEST);
    assert!(manifest.is_file());
    export_once(&mut harness);
    wait_until(&mut harness, "the refusal", |h| {
        app(h).notices().any(|(_, text)| text.contains("not empty"))
    });
    assert!(
        harness.query_by_label("Export annotations").is_none(),
        "the form closed"
    );
}

/// Takes the Referenced Frame Number out of every frame's source image.
fn without_frame_numbers(object: &mut dicom_object::DefaultDicomObject) {
    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, VR};
    use dicom_dictionary_std::tags;
    let first = |o: &dicom_object::InMemDicomObject, tag| {
        o.element(tag).unwrap().items().unwrap()[0].clone()
    };
    let groups: Vec<_> = object
        .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()
        .iter()
        .map(|group| {
            let mut group = group.clone();
            let mut derivation = first(&group, tags::DERIVATION_IMAGE_SEQUENCE);
            let mut source = first(&derivation, tags::SOURCE_IMAGE_SEQUENCE);
            source.remove_element(tags::REFERENCED_FRAME_NUMBER);
            derivation.put(DataElement::new(
                tags::SOURCE_IMAGE_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![source]),
            ));
            group.put(DataElement::new(
                tags::DERIVATION_IMAGE_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![derivation]),
            ));
            group
        })
        .collect();
    object.put(DataElement::new(
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        VR::SQ,
        DataSetSequence::from(groups),
    ));
}

/// A hostile copy of a SEG: its file name, what is changed, what the refusal says.
type Variant = (
    &'static str,
    Box<dyn Fn(&mut dicom_object::DefaultDicomObject)>,
    &'static str,
);

#[test]
fn hostile_segmentations_are_refused_with_the_file_named() {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = real_project(dir.path());
    let seg = dir.path().join("seg");
    run(&[
        "export",
        "--project",
        root.to_str().unwrap(),
        "--format",
        "dicom-seg",
        "--out",
        seg.to_str().unwrap(),
    ]);
    let cine = std::fs::read_dir(&seg)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "dcm") && {
                let object = dicom_object::open_file(p).unwrap();
                object
                    .element(tags::NUMBER_OF_FRAMES)
                    .unwrap()
                    .to_int::<u32>()
                    .unwrap()
                    > 1
            }
        })
        .unwrap();
    let hostile = dir.path().join("hostile");
    std::fs::create_dir_all(&hostile).unwrap();
    let variants: [Variant; 6] = [
        (
            "frames.dcm",
            Box::new(|o| {
                o.put(DataElement::new(
                    tags::NUMBER_OF_FRAMES,
                    VR::IS,
                    PrimitiveValue::from("2000000000"),
                ));
            }),
            "frames of",
        ),
        (
            "short.dcm",
            Box::new(|o| {
                o.put(DataElement::new(
                    tags::PIXEL_DATA,
                    VR::OB,
                    PrimitiveValue::from(vec![0u8; 16]),
                ));
            }),
            "Pixel Data holds 16 bytes",
        ),
        (
            "rows.dcm",
            Box::new(|o| {
                o.put(DataElement::new(
                    tags::ROWS,
                    VR::US,
                    PrimitiveValue::from(0u16),
                ));
            }),
            "Rows or Columns",
        ),
        (
            "labelmap.dcm",
            Box::new(|o| {
                o.put(DataElement::new(
                    tags::SEGMENTATION_TYPE,
                    VR::CS,
                    PrimitiveValue::from("LABELMAP"),
                ));
            }),
            "not read",
        ),
        (
            "no-frame-number.dcm",
            Box::new(without_frame_numbers),
            "gives no Referenced Frame Number",
        ),
        (
            "elsewhere.dcm",
            Box::new(|o| {
                let mut groups = o
                    .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
                    .unwrap()
                    .items()
                    .unwrap()
                    .to_vec();
                groups.truncate(1);
                o.put(DataElement::new(
                    tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
                    VR::SQ,
                    dicom_core::value::DataSetSequence::from(groups),
                ));
            }),
            "per-frame functional groups",
        ),
    ];
    for (name, change, _) in &variants {
        let mut object = dicom_object::open_file(&cine).unwrap();
        change(&mut object);
        object.write_to_file(hostile.join(name)).unwrap();
    }
    let output = echolabel(&[
        "import-annotations",
        hostile.to_str().unwrap(),
        "--project",
        root.to_str().unwrap(),
        "--format",
        "dicom-seg",
        "--annotator",
        "Importer",
    ]);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    for (name, _, reason) in &variants {
        assert!(
            said.lines()
                .any(|l| l.starts_with("failed:") && l.contains(name) && l.contains(reason)),
            "{name}: {reason}\n{said}"
        );
    }
    // Nothing was stored, and nobody was added for it.
    let project = Project::open(&root).unwrap();
    assert!(project.annotator_id("Importer").is_err());
}

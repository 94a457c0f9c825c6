//! The segmentation engine as users meet it: the shipped starting model's
//! quality on phantom clips it never saw, its uncertainty where it errs, the
//! predict / evaluate / train commands, and the CPU fallback.

use std::path::Path;

use echolabel::geometry::Mask;
use echolabel::model::dataset::phantom_clips;
use echolabel::model::shipped::starting_model;
use echolabel::model::{DevicePreference, select_device};
use echolabel::store::{AnnotationStatus, ContourKey, Geometry, Project, Role};

use crate::common::{echolabel, stdout};

/// A seed the starting model was not trained on (it was trained on seed 7).
const UNSEEN_SEED: u64 = 4242;

pub fn cpu() -> echolabel::model::ComputeDevice {
    select_device(DevicePreference::Cpu).unwrap()
}

#[test]
fn the_starting_model_segments_unseen_phantoms_and_is_unsure_where_it_errs() {
    let segmenter = starting_model(&cpu().device);
    let dice_lv = segmenter.header.metrics["dice_lv_endocardium"]
        .as_f64()
        .unwrap();
    assert!(
        dice_lv >= 0.90,
        "validation Dice of the shipped model: {dice_lv}"
    );

    // Unseen clips, each frame at one of four degradations (lower contrast,
    // more noise), so the set holds frames the model gets right and frames it
    // gets wrong.
    let clips = phantom_clips(UNSEEN_SEED, 4, 3);
    let mut per_frame = Vec::new();
    let (mut wrong_entropy, mut wrong, mut right_entropy, mut right) = (0.0, 0usize, 0.0, 0usize);
    let mut seed = 12345u64;
    for clip in &clips {
        let (width, height) = (clip.frames[0].width, clip.frames[0].height);
        let degraded: Vec<Vec<u8>> = clip
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| degrade(&f.gray, LEVELS[i % 4], &mut seed))
            .collect();
        let grays: Vec<&[u8]> = degraded.iter().map(Vec::as_slice).collect();
        let results = segmenter.segment(&grays, width, height, 8, 8);
        for (i, (frame, result)) in clip.frames.iter().zip(results).enumerate() {
            let predicted = Mask::from_labels(&result.mask, width, height, 1);
            let truth = Mask::from_labels(&frame.labels, width, height, 1);
            per_frame.push((
                i % 4,
                predicted.dice(&truth),
                result.prediction.scores.entropy.mean as f64,
            ));
            // Pixel level, at the network's resolution.
            let maps = &result.prediction.maps;
            let truth_small = echolabel::model::sample::resize_labels(
                &frame.labels,
                width,
                height,
                maps.width,
                maps.height,
            );
            for ((predicted, expected), entropy) in
                maps.mask.iter().zip(&truth_small).zip(&maps.entropy)
            {
                if predicted == expected {
                    right_entropy += f64::from(*entropy);
                    right += 1;
                } else {
                    wrong_entropy += f64::from(*entropy);
                    wrong += 1;
                }
            }
        }
    }
    let clean: Vec<f64> = per_frame
        .iter()
        .filter(|(level, _, _)| *level == 0)
        .map(|(_, d, _)| *d)
        .collect();
    let clean_dice = clean.iter().sum::<f64>() / clean.len() as f64;
    assert!(
        clean_dice >= 0.90,
        "LV Dice on unseen undegraded phantom frames: {clean_dice}"
    );
    // Frames with more error have more MC entropy: Spearman ρ(1 − Dice, entropy)
    // above 0.35, significant at p < 0.05 for the ~45 frames here.
    let errors: Vec<f64> = per_frame.iter().map(|(_, d, _)| 1.0 - d).collect();
    let entropies: Vec<f64> = per_frame.iter().map(|(_, _, e)| *e).collect();
    let rho = spearman(&errors, &entropies);
    assert!(
        rho > 0.35,
        "rank correlation between error and entropy: {rho} over {} frames",
        per_frame.len()
    );
    // And pixels it gets wrong are far less certain than pixels it gets right.
    let (wrong_mean, right_mean) = (
        wrong_entropy / wrong.max(1) as f64,
        right_entropy / right.max(1) as f64,
    );
    assert!(
        wrong_mean > 3.0 * right_mean,
        "entropy at wrong pixels {wrong_mean}, at right pixels {right_mean}"
    );
}

/// Degradations from none to one where the model's LV Dice drops to about
/// 0.85 (much beyond it the net confidently sees no heart at all, a failure
/// no dropout sampling reveals).
const LEVELS: [f32; 4] = [0.0, 0.7, 1.4, 2.0];

/// Lower contrast and added noise growing with `level` (0 = untouched).
fn degrade(gray: &[u8], level: f32, seed: &mut u64) -> Vec<u8> {
    gray.iter()
        .map(|&v| {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = ((*seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0;
            let contrast = 1.0 - 0.22 * level;
            let value = 128.0 + (f32::from(v) - 128.0) * contrast + noise * 40.0 * level;
            value.round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    for (rank, &index) in order.iter().enumerate() {
        ranks[index] = rank as f64;
    }
    ranks
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let cov: f64 = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum();
    let var: f64 = ra.iter().map(|x| (x - mean).powi(2)).sum();
    cov / var
}

#[test]
fn predict_writes_masks_maps_scores_and_key_frames_within_a_frame_of_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    echolabel::phantom::write_dataset(&data, 1, UNSEEN_SEED, |_, _| {}).unwrap();
    let out = dir.path().join("out");
    let clip = data.join("phantom_0000.dcm");
    let output = echolabel(&[
        "predict",
        clip.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--samples",
        "2",
        "--device",
        "cpu",
    ]);
    assert!(output.status.success(), "{output:?}");
    let truth: echolabel::phantom::GroundTruthFile =
        serde_json::from_slice(&std::fs::read(data.join("phantom_0000.json")).unwrap()).unwrap();
    let mask = image::open(out.join("phantom_0000_frame_0000_mask.png"))
        .unwrap()
        .into_luma8();
    assert_eq!(
        mask.dimensions(),
        (truth.parameters.cols, truth.parameters.rows)
    );
    assert!(mask.pixels().all(|p| p.0[0] < 4) && mask.pixels().any(|p| p.0[0] == 1));
    for map in ["entropy", "bald"] {
        let path = out.join(format!(
            "phantom_0000_frame_{:04}_{map}.png",
            truth.frames - 1
        ));
        assert!(image::open(&path).is_ok(), "{}", path.display());
    }
    let mut csv = csv::Reader::from_path(out.join("scores.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), truth.frames as usize);
    let marked = |kind: &str| -> Vec<u32> {
        rows.iter()
            .filter(|r| &r[3] == kind)
            .map(|r| r[1].parse().unwrap())
            .collect()
    };
    let near = |found: &[u32], expected: &[u32]| {
        expected
            .iter()
            .filter(|&&t| t >= 2 && t + 2 < truth.frames)
            .all(|t| found.iter().any(|f| f.abs_diff(*t) <= 1))
            && found
                .iter()
                .all(|f| expected.iter().any(|t| t.abs_diff(*f) <= 1))
    };
    assert!(
        near(&marked("ED"), &truth.ed_frames),
        "ED {:?} vs {:?}",
        marked("ED"),
        truth.ed_frames
    );
    assert!(
        near(&marked("ES"), &truth.es_frames),
        "ES {:?} vs {:?}",
        marked("ES"),
        truth.es_frames
    );
}

#[test]
fn evaluate_prints_dice_and_hausdorff_per_structure() {
    let dir = tempfile::tempdir().unwrap();
    echolabel::phantom::write_dataset(dir.path(), 1, UNSEEN_SEED + 1, |_, _| {}).unwrap();
    let output = echolabel(&[
        "evaluate",
        "--data",
        dir.path().to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    let row = table
        .lines()
        .find(|l| l.starts_with("LV endocardium"))
        .unwrap_or_else(|| panic!("{table}"));
    let columns: Vec<f64> = row
        .split_whitespace()
        .skip(2)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(columns[0] >= 0.9, "{row}");
    assert!(
        columns[1] > 0.0 && columns[1] < 15.0,
        "Hausdorff distance in pixels: {row}"
    );
    assert!(table.contains("Myocardium") && table.contains("Left atrium"));

    let bad = echolabel(&["evaluate", "--data", "/nonexistent", "--device", "cpu"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent"));
}

/// A project whose phantom clips carry submitted contours from the truth masks.
pub fn labelled_project(root: &Path, data: &Path) -> Project {
    echolabel::phantom::write_dataset(data, 2, 31, |_, _| {}).unwrap();
    let mut project = Project::open_or_create(root).unwrap();
    let by = crate::common::admin(&mut project);
    let ana = project
        .upsert_annotator(by, "Ana", Role::Reviewer, &[])
        .unwrap();
    echolabel::store::import_folder(
        &mut project,
        by,
        data,
        "pilot",
        &Default::default(),
        |_, _, _| {},
        &Default::default(),
    )
    .unwrap();
    for (index, clip) in project.clips(None).unwrap().iter().enumerate() {
        for frame in [0u32, 6, 12] {
            let labels =
                image::open(data.join(format!("phantom_{index:04}_gt/frame_{frame:04}.png")))
                    .unwrap()
                    .into_luma8();
            let (w, h) = (labels.width() as usize, labels.height() as usize);
            let labels = labels.into_raw();
            for (class, structure) in [
                (1u8, "LV endocardium"),
                (2, "Myocardium"),
                (3, "Left atrium"),
            ] {
                let mut mask = Mask::from_labels(&labels, w, h, class);
                if class == 2 {
                    let cavity = Mask::from_labels(&labels, w, h, 1);
                    for (i, on) in cavity.pixels().iter().enumerate() {
                        if *on {
                            mask.set(i % w, i / w, true);
                        }
                    }
                }
                let contour = echolabel::geometry::mask_to_contour(
                    &mask.largest_component().fill_holes(),
                    0.7,
                )
                .unwrap();
                let key = ContourKey {
                    clip_id: clip.id,
                    frame,
                    target: structure.into(),
                    author_id: ana,
                };
                let geometry = Geometry {
                    contour,
                    ..Geometry::default()
                };
                project
                    .save_contour(&key, None, &geometry, AnnotationStatus::Submitted)
                    .unwrap();
            }
        }
    }
    project
}

#[test]
fn train_stores_a_model_version_from_the_projects_finished_contours_and_warm_starts_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    drop(labelled_project(&root, &dir.path().join("data")));
    let args = [
        "train",
        "--project",
        root.to_str().unwrap(),
        "--size",
        "32",
        "--filters",
        "4",
        "--epochs",
        "2",
        "--device",
        "cpu",
    ];
    let first = echolabel(&args);
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout(&first).starts_with("model version 1: "),
        "{}",
        stdout(&first)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("6 labelled frames"));
    let second = echolabel(&args);
    assert!(second.status.success(), "{second:?}");
    assert!(String::from_utf8_lossy(&second.stderr).contains("warm-started from model version 1"));

    let project = Project::open(&root).unwrap();
    let versions = project.model_versions().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].parent_id, Some(versions[0].id));
    assert_eq!(
        versions[1].training_set.len(),
        18,
        "3 structures × 6 frames"
    );
    assert!(
        versions[1].metrics["dice_lv_endocardium"]
            .as_f64()
            .is_some()
    );
    let model =
        echolabel::model::Segmenter::load(&root.join(&versions[1].checkpoint_path), &cpu().device)
            .unwrap();
    assert_eq!(model.header.config.input_size, 32);
}

#[test]
fn without_a_gpu_the_model_falls_back_to_the_cpu_and_says_so() {
    let auto = select_device(DevicePreference::Auto).unwrap();
    if !auto.is_gpu {
        assert_eq!(auto.description, "CPU (no GPU adapter found)");
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .args(["evaluate", "--data", "/nonexistent"])
        .env("ECHOLABEL_DEVICE", "cpu")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("running on CPU"), "{stderr}");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .args(["evaluate", "--data", "/nonexistent"])
        .env("ECHOLABEL_DEVICE", "tpu")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("ECHOLABEL_DEVICE=tpu: expected auto, gpu or cpu")
    );
}

#[test]
fn proposed_contours_are_simple_closed_and_match_the_true_structures() {
    let segmenter = starting_model(&cpu().device);
    let clip = &phantom_clips(UNSEEN_SEED + 2, 1, 10)[0];
    let (width, height) = (clip.frames[0].width, clip.frames[0].height);
    let grays: Vec<&[u8]> = clip.frames.iter().map(|f| f.gray.as_slice()).collect();
    for (frame, result) in clip
        .frames
        .iter()
        .zip(segmenter.segment(&grays, width, height, 4, 4))
    {
        let proposals = segmenter.proposals(&result);
        let names: Vec<&str> = proposals.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["LV endocardium", "Myocardium", "Left atrium"]);
        for (name, contour) in &proposals {
            assert!(
                echolabel::geometry::is_simple(contour),
                "{name} on frame {} crosses itself",
                frame.frame
            );
        }
        let filled = |name: &str| {
            let contour = &proposals.iter().find(|(n, _)| n == name).unwrap().1;
            echolabel::geometry::fill(contour, width, height)
        };
        // The LV contour covers the true cavity; the myocardium (epicardial) contour encloses it.
        let lv = filled("LV endocardium");
        let dice = lv.dice(&Mask::from_labels(&frame.labels, width, height, 1));
        assert!(
            dice > 0.9,
            "LV contour Dice {dice} on frame {}",
            frame.frame
        );
        let epicardium = filled("Myocardium");
        let inside = lv
            .pixels()
            .iter()
            .zip(epicardium.pixels())
            .filter(|(l, e)| **l && **e)
            .count();
        assert!(inside as f64 > 0.95 * lv.count() as f64);
        assert!(epicardium.count() > lv.count());
    }
}

#[test]
fn simulate_writes_learning_curves_per_strategy_and_seed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    echolabel::phantom::write_dataset(&data, 4, 3, |_, _| {}).unwrap();
    let out = dir.path().join("out");
    let output = echolabel(&[
        "simulate",
        "--data",
        data.to_str().unwrap(),
        "--strategy",
        "random,bald,k-center",
        "--rounds",
        "2",
        "--budget",
        "4",
        "--initial",
        "4",
        "--seeds",
        "2",
        "--size",
        "32",
        "--filters",
        "4",
        "--steps",
        "2",
        "--stride",
        "2",
        "--samples",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(output.status.success(), "{output:?}");
    // Random and BALD draw their batch by both default rules (top-k and
    // power sampling one frame per clip); K-Center spreads its own: 5 curves.
    let mut curve = csv::Reader::from_path(out.join("curve.csv")).unwrap();
    let header = curve.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = curve.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5 * 2 * 3, "curves × seeds × (rounds + 1)");
    let mut curves = std::collections::BTreeSet::new();
    for row in &rows {
        assert_eq!(&row[column("mode")], "al");
        curves.insert(format!(
            "{} {}",
            &row[column("strategy")],
            &row[column("batch")]
        ));
        let round: usize = row[column("round")].parse().unwrap();
        let labelled: usize = row[column("labelled")].parse().unwrap();
        assert_eq!(labelled, 4 + 4 * round, "{row:?}");
        assert_eq!(
            &row[column("pseudo_labelled")],
            "0",
            "no pseudo-labels without --semi"
        );
        for name in [
            "dice",
            "dice_lv_endocardium",
            "dice_myocardium",
            "dice_left_atrium",
        ] {
            let dice: f32 = row[column(name)].parse().unwrap();
            assert!((0.0..=1.0).contains(&dice), "{name}: {row:?}");
        }
    }
    assert_eq!(
        curves.into_iter().collect::<Vec<_>>(),
        [
            "bald power1-clip1",
            "bald top",
            "k-center own",
            "random power1-clip1",
            "random top"
        ]
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with(
        "strategy,batch,mode,round,labelled_percent,dice_mean,dice_sd,seeds,dice_ci95"
    ));
    assert_eq!(summary.lines().count(), 1 + 5 * 3);
    assert!(summary.contains("k-center,own,al,2,"), "{summary}");
    let full = std::fs::read_to_string(out.join("full_data.csv")).unwrap();
    assert_eq!(full.lines().count(), 1 + 2, "one ceiling per seed: {full}");
    let savings = std::fs::read_to_string(out.join("savings.csv")).unwrap();
    assert!(savings.starts_with("strategy,batch,mode,target_dice,reached_at_percent"));
    assert_eq!(
        savings.lines().count(),
        1 + 4,
        "every curve against random top"
    );
    // The area under each curve, and each but random's paired with random's.
    let mut comparison = csv::Reader::from_path(out.join("comparison.csv")).unwrap();
    let header = comparison.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = comparison.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        let plain_random = &row[column("strategy")] == "random" && &row[column("batch")] == "top";
        let auc: f64 = row[column("auc_mean")].parse().unwrap();
        let (low, high): (f64, f64) = (
            row[column("auc_low")].parse().unwrap(),
            row[column("auc_high")].parse().unwrap(),
        );
        assert!(
            low <= auc && auc <= high && (0.0..=1.0).contains(&auc),
            "{row:?}"
        );
        assert_eq!(&row[column("seeds")], "2");
        assert_eq!(
            row[column("vs_random_mean")].is_empty(),
            plain_random,
            "{row:?}"
        );
        if !plain_random {
            assert_eq!(&row[column("paired_seeds")], "2");
        }
    }
    let stdout = stdout(&output);
    assert!(stdout.contains("area under the curve"), "{stdout}");
    let figure = image::open(out.join("curves.png")).unwrap();
    assert!(figure.width() > 600 && figure.height() > 400);
    let command = std::fs::read_to_string(out.join("command.txt")).unwrap();
    assert!(command.contains("simulate --data") && command.contains("random,bald,k-center"));
}

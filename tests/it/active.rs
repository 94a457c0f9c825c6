//! Active-learning rounds on a project: retraining, the ranked queue with
//! its uncertainty maps, pseudo-labels under review and the project setting
//! that lets accepted ones teach the next model.

use echolabel::active::queue::{annotation_queue, learning_curve};
use echolabel::active::round::{
    MODEL_ANNOTATOR, RoundBudget, RoundSettings, run_round, uncertainty_map_path,
};
use echolabel::active::{SemiSupervised, Strategy};
use echolabel::model::{ModelConfig, TrainOptions};
use echolabel::modelling::{ProjectTraining, project_frames};
use echolabel::store::{AnnotationStatus, ContourKey, Geometry, PseudoLabelPolicy, Source};

use crate::model::{cpu, labelled_project};

fn settings(semi: SemiSupervised, retrain: bool) -> RoundSettings {
    RoundSettings {
        strategy: Strategy::McEntropy,
        batch: echolabel::active::BatchRule::TOP_K,
        budget: RoundBudget::Frames(3),
        samples: 4,
        semi,
        stride: 6,
        seed: 5,
        retrain: retrain.then(|| ProjectTraining {
            config: ModelConfig::camus(32, 4),
            options: TrainOptions {
                max_epochs: 2,
                ..TrainOptions::default()
            },
            include_pseudo_labels: true,
            warm_start: true,
            out: None,
        }),
    }
}

#[test]
fn a_round_retrains_queues_the_most_uncertain_frames_and_stores_pseudo_labels_for_review() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let mut project = labelled_project(&root, &dir.path().join("data"));
    let everything = SemiSupervised::Ceal {
        threshold: 10.0,
        decay: 0.0,
    };
    let mut scoring_seen = false;
    let outcome = run_round(
        &mut project,
        &settings(everything, false),
        &cpu(),
        |event| {
            scoring_seen |= matches!(
                event,
                echolabel::active::round::RoundProgress::Scoring { .. }
            );
            true
        },
    )
    .unwrap()
    .expect("not cancelled");
    assert!(scoring_seen);
    assert!(outcome.trained.is_none(), "not asked to retrain");
    assert!(outcome.model_name.contains("starting"));

    // The round is on record with its strategy, seed, model and every score.
    let rounds = project.rounds().unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].strategy, "mc-entropy");
    assert_eq!(rounds[0].seed, Some(5));
    assert_eq!(
        rounds[0].model_version_id, None,
        "the shipped starting model"
    );
    assert_eq!(rounds[0].parameters["stride"], 6);
    let scores = project.round_scores(rounds[0].id).unwrap();
    assert_eq!(scores.len(), outcome.pool);
    assert!(scores.windows(2).all(|w| w[0].score >= w[1].score));
    // Labelled frames (0, 6 and 12 of each clip) are not in the pool.
    assert!(scores.iter().all(|s| ![0, 6, 12].contains(&s.frame)));
    let queried: Vec<u32> = scores
        .iter()
        .filter(|s| s.queried)
        .map(|s| s.rank)
        .collect();
    assert_eq!(queried, [1, 2, 3], "MC entropy asks for the highest scores");

    // The queue, with an uncertainty map per queued frame.
    let queue = annotation_queue(&project, None).unwrap();
    assert_eq!(queue.len(), 3);
    let maps = echolabel::active::round::saved_maps(&root);
    assert_eq!(
        maps.len(),
        outcome.pool,
        "queued and pseudo-labelled frames"
    );
    for entry in &queue {
        assert!(!entry.done);
        assert!(entry.clip_name.starts_with("phantom_"));
        let map = uncertainty_map_path(&root, entry.round_id, entry.clip_id, entry.frame);
        assert_eq!(
            maps[&(entry.clip_id, entry.frame)],
            map,
            "found where it was written"
        );
        let map = image::open(&map).unwrap().into_luma8();
        assert_eq!(map.width(), 128, "at the starting model's size");
        assert!(map.pixels().any(|p| p.0[0] == 255), "scaled to its peak");
    }

    // Every other pool frame became a pseudo-label (threshold admits all), by the model.
    let pending = project.pseudo_labels(&[AnnotationStatus::Draft]).unwrap();
    let pseudo_frames: std::collections::BTreeSet<(i64, u32)> =
        pending.iter().map(|a| (a.clip_id, a.frame)).collect();
    assert_eq!(pseudo_frames.len(), outcome.pool - 3);
    assert!(
        queue
            .iter()
            .all(|e| !pseudo_frames.contains(&(e.clip_id, e.frame)))
    );
    assert!(pending.iter().all(|a| a.source == Source::PseudoLabel
        && a.author == MODEL_ANNOTATOR
        && a.model_version_id.is_none()
        && a.uncertainty.is_some()));
    assert!(
        pending
            .windows(2)
            .all(|w| w[0].uncertainty <= w[1].uncertainty),
        "most confident first"
    );
    assert_eq!(outcome.pseudo_labels, pending.len());

    // A person labels a queued frame: the queue shows it done.
    let ana = project.annotator_id("Ana").unwrap();
    let first = &queue[0];
    let key = ContourKey {
        clip_id: first.clip_id,
        frame: first.frame,
        target: "LV endocardium".into(),
        author_id: ana,
    };
    let square = Geometry {
        contour: vec![[10.0, 10.0], [40.0, 10.0], [40.0, 40.0], [10.0, 40.0]],
        ..Geometry::default()
    };
    project
        .save_contour(&key, None, &square, AnnotationStatus::Submitted)
        .unwrap();
    assert!(annotation_queue(&project, None).unwrap()[0].done);

    // Review: accepted pseudo-labels teach the model only when asked to.
    let config = ModelConfig::camus(32, 4);
    let before = project_frames(&project, &config, true)
        .unwrap()
        .frames
        .len();
    let frame_ids: Vec<i64> = pending
        .iter()
        .filter(|a| (a.clip_id, a.frame) == (pending[0].clip_id, pending[0].frame))
        .map(|a| a.id)
        .collect();
    assert_eq!(frame_ids.len(), 3, "one pseudo-label per structure");
    assert_eq!(
        project
            .review_pseudo_labels(&frame_ids, ana, AnnotationStatus::Accepted)
            .unwrap(),
        3
    );
    assert_eq!(
        project
            .review_pseudo_labels(&frame_ids, ana, AnnotationStatus::Accepted)
            .unwrap(),
        0,
        "already decided"
    );
    assert_eq!(
        project_frames(&project, &config, true)
            .unwrap()
            .frames
            .len(),
        before + 1
    );
    assert_eq!(
        project_frames(&project, &config, false)
            .unwrap()
            .frames
            .len(),
        before
    );
    let accepted = project
        .pseudo_labels(&[AnnotationStatus::Accepted])
        .unwrap();
    assert_eq!(accepted.len(), 3);
    assert!(
        project.revisions(accepted[0].id).unwrap().len() == 2,
        "the decision is a revision"
    );

    // All or none: one id that is not a pseudo-label refuses the whole batch.
    let human = project
        .annotations(first.clip_id, Some(first.frame))
        .unwrap()
        .into_iter()
        .find(|a| a.source == Source::Human)
        .unwrap();
    let rest: Vec<i64> = project
        .pseudo_labels(&[AnnotationStatus::Draft])
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    let mut batch = rest.clone();
    batch.push(human.id);
    assert!(
        project
            .review_pseudo_labels(&batch, ana, AnnotationStatus::Rejected)
            .is_err()
    );
    assert_eq!(
        project
            .pseudo_labels(&[AnnotationStatus::Draft])
            .unwrap()
            .len(),
        rest.len()
    );
    assert!(
        project
            .review_pseudo_labels(&rest, ana, AnnotationStatus::Draft)
            .is_err(),
        "a review decides"
    );

    assert_eq!(
        project.pseudo_label_policy().unwrap(),
        PseudoLabelPolicy::WhenAccepted
    );
    project
        .set_pseudo_label_policy(crate::common::admin_of(&project), PseudoLabelPolicy::Never)
        .unwrap();
    assert_eq!(
        project.pseudo_label_policy().unwrap(),
        PseudoLabelPolicy::Never
    );

    // A second round scores only frames nobody (person or model) covers yet.
    project
        .review_pseudo_labels(&rest, ana, AnnotationStatus::Rejected)
        .unwrap();
    project
        .set_pseudo_label_policy(
            crate::common::admin_of(&project),
            PseudoLabelPolicy::WhenAccepted,
        )
        .unwrap();
    let second = run_round(
        &mut project,
        &RoundSettings {
            budget: RoundBudget::Percent(50.0),
            ..settings(SemiSupervised::None, true)
        },
        &cpu(),
        |_| true,
    )
    .unwrap()
    .unwrap();
    let trained = second
        .trained
        .as_ref()
        .expect("two labelled clips: a new version");
    assert_eq!(
        trained.frames, 7,
        "six labelled frames and the accepted pseudo-label"
    );
    assert_eq!(
        second.model_name,
        format!("model version {} (model-001)", trained.version_id)
    );
    assert_eq!(
        project.rounds().unwrap()[1].model_version_id,
        Some(trained.version_id)
    );
    // The model version is on the learning curve with its frames and Dice.
    let curve = learning_curve(&project).unwrap();
    assert_eq!(curve.len(), 1);
    assert_eq!(curve[0].frames, 7);
    assert!((0.0..=1.0).contains(&curve[0].dice));
    // Only the accepted pseudo-label's frame leaves the pool: rejected ones return, and
    // the frame with Ana's LV outline alone stays (it trains nothing without the others).
    assert_eq!(second.pool, outcome.pool - 1);
    assert_eq!(
        second.queued.len(),
        (second.pool as f32 * 0.5).round() as usize
    );
    assert_eq!(second.pseudo_labels, 0);
    assert_eq!(
        annotation_queue(&project, None).unwrap()[0].round_id,
        second.round_id
    );
}

#[test]
fn rounds_refuse_ensembles_stop_when_cancelled_and_train_nothing_without_two_labelled_clips() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let mut project = labelled_project(&root, &dir.path().join("data"));
    let ensemble = RoundSettings {
        strategy: Strategy::MultiLossEntropy,
        ..settings(SemiSupervised::None, false)
    };
    let error = run_round(&mut project, &ensemble, &cpu(), |_| true).unwrap_err();
    assert!(error.to_string().contains("multi-loss-entropy"), "{error}");

    let cancelled = run_round(
        &mut project,
        &settings(SemiSupervised::None, false),
        &cpu(),
        |_| false,
    )
    .unwrap();
    assert!(cancelled.is_none());
    assert!(
        project.rounds().unwrap().is_empty(),
        "a cancelled round stores nothing"
    );

    // Without labels on two clips, the round says so and scores with the current model.
    let empty_root = dir.path().join("empty");
    let mut empty = echolabel::store::Project::open_or_create(&empty_root).unwrap();
    let by = crate::common::admin(&mut empty);
    echolabel::store::import_folder(
        &mut empty,
        by,
        &dir.path().join("data"),
        "pilot",
        &Default::default(),
        |_, _, _| {},
        &Default::default(),
    )
    .unwrap();
    let outcome = run_round(
        &mut empty,
        &settings(SemiSupervised::None, true),
        &cpu(),
        |_| true,
    )
    .unwrap()
    .unwrap();
    assert!(outcome.trained.is_none());
    assert!(outcome.training_note.unwrap().contains("two clips"));
    assert!(
        outcome.model_name.contains("starting"),
        "{}",
        outcome.model_name
    );
    assert_eq!(outcome.queued.len(), 3);
}

#[test]
fn a_rounds_pool_holds_the_frames_the_training_label_setting_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let mut project = labelled_project(&root, &dir.path().join("data"));
    let pool_frames = |project: &mut echolabel::store::Project| {
        run_round(
            project,
            &settings(SemiSupervised::None, false),
            &cpu(),
            |_| true,
        )
        .unwrap()
        .unwrap();
        let round = project.rounds().unwrap().last().unwrap().id;
        let frames: std::collections::BTreeSet<u32> = project
            .round_scores(round)
            .unwrap()
            .iter()
            .map(|s| s.frame)
            .collect();
        frames
    };
    let labelled = [0, 6, 12];
    let anyone = pool_frames(&mut project);
    assert!(anyone.iter().all(|f| !labelled.contains(f)), "{anyone:?}");

    // Only reviewed work trains now, and none is: the labelled frames are asked for again.
    let by = crate::common::admin(&mut project);
    let policy = echolabel::store::TrainingLabels {
        otherwise: echolabel::store::LastResort::Nobody,
        ..Default::default()
    };
    project.set_training_labels(by, &policy).unwrap();
    let reviewed_only = pool_frames(&mut project);
    assert!(
        labelled.iter().all(|f| reviewed_only.contains(f)),
        "{reviewed_only:?}"
    );
    assert_eq!(reviewed_only.len(), anyone.len() + labelled.len());

    // Ana's frames train again once the setting names her.
    let policy = echolabel::store::TrainingLabels {
        otherwise: echolabel::store::LastResort::Annotator("Ana".into()),
        ..Default::default()
    };
    project.set_training_labels(by, &policy).unwrap();
    assert_eq!(pool_frames(&mut project), anyone);
}

#[test]
fn the_round_command_queues_frames_and_records_the_round() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    drop(labelled_project(&root, &dir.path().join("data")));
    let output = crate::common::echolabel(&[
        "round",
        "--project",
        root.to_str().unwrap(),
        "--strategy",
        "bald",
        "--budget",
        "2",
        "--stride",
        "12",
        "--samples",
        "2",
        "--semi",
        "ssal",
        "--ssal-low",
        "0",
        "--ssal-high",
        "1",
        "--ssal-max-instability",
        "1",
        "--device",
        "cpu",
    ]);
    assert!(output.status.success(), "{output:?}");
    let stdout = crate::common::stdout(&output);
    assert!(stdout.starts_with("round 1: starting model"), "{stdout}");
    assert!(stdout.contains("queued 2"), "{stdout}");
    let project = echolabel::store::Project::open(&root).unwrap();
    let rounds = project.rounds().unwrap();
    assert_eq!(rounds[0].strategy, "bald");
    assert_eq!(rounds[0].parameters["semi"]["ssal"]["high"], 1.0);
    let pool = project.round_scores(rounds[0].id).unwrap().len();
    // SSAL over the whole range with any instability: every frame not queued.
    let frames: std::collections::BTreeSet<(i64, u32)> = project
        .pseudo_labels(&[AnnotationStatus::Draft])
        .unwrap()
        .iter()
        .map(|a| (a.clip_id, a.frame))
        .collect();
    assert_eq!(frames.len(), pool - 2);

    let bad = crate::common::echolabel(&["round", "--project", "/nonexistent", "--device", "cpu"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent"));
}

#[test]
fn a_round_is_stored_whole_with_queried_frames_in_asking_order_and_no_pseudo_label_over_finished_work()
 {
    use echolabel::store::{AnnotationKind, NewAnnotation, NewRound};
    let dir = tempfile::tempdir().unwrap();
    let mut project = labelled_project(&dir.path().join("project"), &dir.path().join("data"));
    let clip = project.clips(None).unwrap()[0].id;
    let model = project.model_annotator_id().unwrap();
    let pseudo = |frame: u32| NewAnnotation {
        clip_id: clip,
        frame,
        template_id: None,
        kind: AnnotationKind::Contour,
        target: "LV endocardium".into(),
        author_id: model,
        source: Source::PseudoLabel,
        model_version_id: None,
        status: AnnotationStatus::Draft,
        geometry: Geometry {
            contour: vec![[10.0, 10.0], [40.0, 10.0], [40.0, 40.0]],
            ..Geometry::default()
        },
        mask: None,
        uncertainty: Some(0.01),
    };
    // A diversity strategy asks for frame 5 before frame 3, whatever their scores.
    let round = NewRound {
        strategy: "k-center".into(),
        seed: Some(3),
        budget: 2,
        model_version_id: None,
        parameters: serde_json::json!({}),
        scores: vec![(clip, 3, 0.9), (clip, 5, 0.1), (clip, 7, 0.5)],
        queried: vec![(clip, 5), (clip, 3)],
    };
    // Frame 0 was labelled by Ana (submitted): no pseudo-label goes there.
    let (id, stored) = project
        .record_round_with(&round, &[pseudo(0), pseudo(7)])
        .unwrap();
    assert_eq!(stored, 1);
    let ranks: Vec<(u32, u32, bool)> = project
        .round_scores(id)
        .unwrap()
        .iter()
        .map(|s| (s.frame, s.rank, s.queried))
        .collect();
    assert_eq!(ranks, [(5, 1, true), (3, 2, true), (7, 3, false)]);
    let queue = annotation_queue(&project, None).unwrap();
    assert_eq!(
        queue.iter().map(|e| e.frame).collect::<Vec<_>>(),
        [5, 3],
        "the queue keeps the asking order"
    );
    let pseudo_frames: Vec<u32> = project
        .pseudo_labels(&[AnnotationStatus::Draft])
        .unwrap()
        .iter()
        .map(|a| a.frame)
        .collect();
    assert_eq!(pseudo_frames, [7]);

    // A pseudo-label of a clip that is not in the project fails the whole round.
    let before = project.rounds().unwrap().len();
    let stray = NewAnnotation {
        clip_id: 999_999,
        ..pseudo(7)
    };
    assert!(
        project
            .record_round_with(&round, &[pseudo(9), stray])
            .is_err()
    );
    assert_eq!(
        project
            .pseudo_labels(&[AnnotationStatus::Draft])
            .unwrap()
            .len(),
        1,
        "not even the valid pseudo-label"
    );
    assert_eq!(
        project.rounds().unwrap().len(),
        before,
        "nothing of it was kept"
    );
}

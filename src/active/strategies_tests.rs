//! Tests of the acquisition strategies and baselines.
use super::*;
use crate::model::MapScore;

fn candidate(
    entropy: f32,
    variance: f32,
    bald: f32,
    single: f32,
    embedding: [f32; 2],
) -> Candidate {
    let score = |mean: f32| MapScore {
        mean,
        sum: mean * 100.0,
        max: mean * 2.0,
        structures: mean,
    };
    Candidate {
        scores: UncertaintyScores {
            entropy: score(entropy),
            variance: score(variance),
            bald: score(bald),
            single_pass_entropy: score(single),
            // Distinct from every other score: ranks the pool in reverse.
            least_confidence: score(1.0 - entropy),
        },
        embedding: embedding.to_vec(),
        ..Candidate::default()
    }
}

#[test]
fn each_uncertainty_strategy_ranks_by_its_own_score() {
    let pool = [
        candidate(0.9, 0.01, 0.05, 0.2, [0.0, 0.0]),
        candidate(0.3, 0.20, 0.30, 0.1, [1.0, 0.0]),
        candidate(0.5, 0.05, 0.10, 0.9, [2.0, 0.0]),
    ];
    assert_eq!(
        select(
            Strategy::McEntropy,
            &pool,
            Labelled::default(),
            2,
            0,
            &BatchRule::TOP_K
        ),
        [0, 2]
    );
    assert_eq!(
        select(
            Strategy::PixelWise,
            &pool,
            Labelled::default(),
            1,
            0,
            &BatchRule::TOP_K
        ),
        [1]
    );
    assert_eq!(
        select(
            Strategy::MaxEntropy,
            &pool,
            Labelled::default(),
            1,
            0,
            &BatchRule::TOP_K
        ),
        [2]
    );
    assert_eq!(
        select(
            Strategy::McVariance,
            &pool,
            Labelled::default(),
            1,
            0,
            &BatchRule::TOP_K
        ),
        [1]
    );
    // BALD prefers the frame whose passes disagree over the one that is merely unsure.
    assert_eq!(
        select(
            Strategy::Bald,
            &pool,
            Labelled::default(),
            1,
            0,
            &BatchRule::TOP_K
        ),
        [1]
    );
}

#[test]
fn ensembles_start_with_the_base_model_and_cover_every_loss_or_architecture() {
    let base = ModelConfig::camus(32, 4);
    let losses = EnsembleKind::MultiLoss.members(&base, LossKind::Dice);
    assert_eq!(
        losses.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
        [
            LossKind::Dice,
            LossKind::CrossEntropyDice,
            LossKind::CrossEntropy
        ]
    );
    assert!(losses.iter().all(|(c, _)| *c == base));
    let architectures = EnsembleKind::MultiArchitecture.members(&base, LossKind::Dice);
    assert_eq!(
        architectures
            .iter()
            .map(|(c, _)| c.architecture)
            .collect::<Vec<_>>(),
        [
            Architecture::UNet,
            Architecture::ResUNet,
            Architecture::ResUNetPlusPlus
        ]
    );
    assert_eq!(
        Strategy::MultiArchitectureEntropy.ensemble(),
        Some(EnsembleKind::MultiArchitecture)
    );
    assert_eq!(Strategy::Bald.ensemble(), None);
    assert_eq!(Strategy::MultiLossEntropy.name(), "multi-loss-entropy");
}

#[test]
fn bald_scores_favour_disagreeing_ensembles() {
    // Two members that agree on an unsure (½, ½) pixel vs two that contradict each other.
    let unsure = [0.5, 0.5];
    let agree = EnsembleScores::of(&[&unsure, &unsure], 2);
    let disagree = EnsembleScores::of(&[&[1.0, 0.0], &[0.0, 1.0]], 2);
    assert!(
        (agree.entropy - disagree.entropy).abs() < 1e-5,
        "same predictive entropy"
    );
    assert!(agree.disagreement.abs() < 1e-5);
    assert!((disagree.disagreement - std::f32::consts::LN_2).abs() < 1e-5);
    let mut pool = vec![candidate(0.1, 0.0, 0.0, 0.0, [0.0, 0.0]); 2];
    pool[0].ensemble = Some(agree);
    pool[1].ensemble = Some(disagree);
    assert_eq!(
        select(
            Strategy::MultiLossDisagreement,
            &pool,
            Labelled::default(),
            1,
            0,
            &BatchRule::TOP_K
        ),
        [1]
    );
}

/// A candidate on `clip`, `frame` with these entropy, foreground and LV share.
fn placed(clip: u32, frame: u32, entropy: f32, foreground: f32, lv: f32) -> Candidate {
    Candidate {
        place: Place { clip, frame },
        foreground,
        lv_fraction: lv,
        ..candidate(entropy, 0.0, 0.0, 0.0, [0.0, 0.0])
    }
}

#[test]
fn a_batch_rule_spreads_an_uncertainty_strategy_over_clips() {
    // Clip 0's frames are the most uncertain; top-k would take three of them.
    let pool = [
        placed(0, 0, 0.9, 0.5, 0.1),
        placed(0, 4, 0.8, 0.5, 0.1),
        placed(0, 8, 0.7, 0.5, 0.1),
        placed(1, 0, 0.3, 0.5, 0.1),
        placed(2, 0, 0.2, 0.5, 0.1),
    ];
    let top = select(
        Strategy::McEntropy,
        &pool,
        Labelled::default(),
        3,
        0,
        &BatchRule::TOP_K,
    );
    assert_eq!(top, [0, 1, 2]);
    let spread = BatchRule {
        per_clip: 1,
        ..BatchRule::TOP_K
    };
    let picked = select(
        Strategy::McEntropy,
        &pool,
        Labelled::default(),
        3,
        0,
        &spread,
    );
    assert_eq!(picked, [0, 3, 4]);
}

#[test]
fn a_rule_may_read_scores_over_the_structures_bands() {
    let mut pool = [placed(0, 0, 0.5, 0.5, 0.1), placed(1, 0, 0.4, 0.5, 0.1)];
    // The second frame is less uncertain overall but more at its outlines.
    pool[0].scores.entropy.structures = 0.2;
    pool[1].scores.entropy.structures = 0.9;
    let image = select(
        Strategy::McEntropy,
        &pool,
        Labelled::default(),
        1,
        0,
        &BatchRule::TOP_K,
    );
    let bands = BatchRule {
        structures: true,
        ..BatchRule::TOP_K
    };
    let outline = select(
        Strategy::McEntropy,
        &pool,
        Labelled::default(),
        1,
        0,
        &bands,
    );
    assert_eq!((image[0], outline[0]), (0, 1));
}

#[test]
fn foreground_random_prefers_frames_with_heart_in_them() {
    let pool: Vec<Candidate> = (0..40)
        .map(|i| placed(i, 0, 0.0, if i < 20 { 0.9 } else { 0.01 }, 0.0))
        .collect();
    let mut hearty = 0;
    for seed in 0..50 {
        let picked = select(
            Strategy::ForegroundRandom,
            &pool,
            Labelled::default(),
            4,
            seed,
            &BatchRule::TOP_K,
        );
        hearty += picked.iter().filter(|&&i| i < 20).count();
    }
    assert!(hearty > 180, "{hearty} of 200 picks had foreground");
}

#[test]
fn key_frames_first_takes_one_frame_per_clip_ed_like_then_es_like() {
    // Two clips; in each the LV is largest on frame 1 and smallest on frame 3.
    let lv = [0.2, 0.3, 0.25, 0.1, 0.2];
    let pool: Vec<Candidate> = (0..2)
        .flat_map(|clip| (0..5).map(move |f| placed(clip, f, 0.0, 0.5, lv[f as usize])))
        .collect();
    let picked = select(
        Strategy::KeyFramesFirst,
        &pool,
        Labelled::default(),
        4,
        3,
        &BatchRule::TOP_K,
    );
    let places: Vec<(u32, u32)> = picked
        .iter()
        .map(|&i| (pool[i].place.clip, pool[i].place.frame))
        .collect();
    let mut first_two: Vec<(u32, u32)> = places[..2].to_vec();
    first_two.sort();
    assert_eq!(
        first_two,
        [(0, 1), (1, 1)],
        "ED-like frames of both clips first: {places:?}"
    );
    let mut next_two: Vec<(u32, u32)> = places[2..].to_vec();
    next_two.sort();
    assert_eq!(
        next_two,
        [(0, 3), (1, 3)],
        "then the ES-like ones: {places:?}"
    );
    // A clip with labels already waits for the one without.
    let labelled = [Place { clip: 0, frame: 9 }];
    let picked = select(
        Strategy::KeyFramesFirst,
        &pool,
        Labelled {
            embeddings: &[],
            places: &labelled,
        },
        1,
        3,
        &BatchRule::TOP_K,
    );
    assert_eq!(pool[picked[0]].place.clip, 1);
}

#[test]
fn frame_summaries_read_foreground_and_lv_share_off_the_maps() {
    let maps = UncertaintyMaps {
        width: 2,
        height: 1,
        classes: 2,
        mean: vec![0.25, 0.75, 0.75, 0.25],
        mask: vec![1, 0],
        entropy: vec![0.0; 2],
        variance: vec![0.0; 2],
        bald: vec![0.0; 2],
    };
    let summary = FrameSummary::of(&maps);
    assert!((summary.foreground - 0.5).abs() < 1e-6);
    assert!((summary.lv_fraction - 0.5).abs() < 1e-6);
}

#[test]
fn random_is_reproducible_and_never_repeats() {
    let pool = vec![Candidate::default(); 20];
    let a = select(
        Strategy::Random,
        &pool,
        Labelled::default(),
        8,
        5,
        &BatchRule::TOP_K,
    );
    assert_eq!(
        a,
        select(
            Strategy::Random,
            &pool,
            Labelled::default(),
            8,
            5,
            &BatchRule::TOP_K
        )
    );
    assert_ne!(
        a,
        select(
            Strategy::Random,
            &pool,
            Labelled::default(),
            8,
            6,
            &BatchRule::TOP_K
        )
    );
    let mut unique = a.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 8);
}

#[test]
fn diversity_strategies_cover_the_pool() {
    // Three groups of frames; the labelled set already covers the first.
    let mut pool = Vec::new();
    for (group, centre) in [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]].iter().enumerate() {
        for i in 0..5 {
            let e = [centre[0] + i as f32 * 0.1, centre[1]];
            pool.push(candidate(0.1 * group as f32, 0.0, 0.0, 0.0, e));
        }
    }
    let labelled = vec![vec![0.2, 0.0]];
    let group = |i: usize| i / 5;
    let picked = select(
        Strategy::KCenter,
        &pool,
        Labelled {
            embeddings: &labelled,
            places: &[],
        },
        2,
        0,
        &BatchRule::TOP_K,
    );
    let mut groups: Vec<usize> = picked.iter().map(|&i| group(i)).collect();
    groups.sort_unstable();
    assert_eq!(
        groups,
        [1, 2],
        "K-Center goes to the unlabelled groups: {picked:?}"
    );
    let picked = select(
        Strategy::FuzzyCMeans,
        &pool,
        Labelled::default(),
        3,
        1,
        &BatchRule::TOP_K,
    );
    let mut groups: Vec<usize> = picked.iter().map(|&i| group(i)).collect();
    groups.sort_unstable();
    assert_eq!(
        groups,
        [0, 1, 2],
        "one typical frame per cluster: {picked:?}"
    );
}

#[test]
fn hybrids_combine_uncertainty_and_diversity() {
    // Uncertain frames sit in two places; the most uncertain ones are near-duplicates.
    let pool = vec![
        candidate(0.90, 0.0, 0.0, 0.0, [0.0, 0.0]),
        candidate(0.89, 0.0, 0.0, 0.0, [0.01, 0.0]),
        candidate(0.70, 0.0, 0.0, 0.0, [5.0, 5.0]),
        candidate(0.01, 0.0, 0.0, 0.0, [9.0, 9.0]),
        candidate(0.02, 0.0, 0.0, 0.0, [-9.0, 9.0]),
        candidate(0.03, 0.0, 0.0, 0.0, [9.0, -9.0]),
    ];
    // Uncertainty first (top 6 → all), then spread: not both near-duplicates.
    let picked = select(
        Strategy::UncertaintyThenDiversity,
        &pool[..3],
        Labelled::default(),
        2,
        0,
        &BatchRule::TOP_K,
    );
    assert!(
        picked.contains(&2) && !(picked.contains(&0) && picked.contains(&1)),
        "{picked:?}"
    );
    // McEntropy alone would take the two duplicates.
    assert_eq!(
        select(
            Strategy::McEntropy,
            &pool,
            Labelled::default(),
            2,
            0,
            &BatchRule::TOP_K
        ),
        [0, 1]
    );
    // Diversity first keeps spread-out frames, then the most uncertain of them.
    let picked = select(
        Strategy::DiversityThenUncertainty,
        &pool,
        Labelled::default(),
        1,
        0,
        &BatchRule::TOP_K,
    );
    assert_eq!(picked.len(), 1);
    assert!(pool[picked[0]].scores.entropy.mean >= 0.03, "{picked:?}");
}

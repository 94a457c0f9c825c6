//! The store thread end to end, on real project folders.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::editor::Mutation;
use crate::store::Project;
use crate::store::PseudoLabelPolicy;
use crate::store::journal::{self, Journal};

fn settle(store: &StoreThread) -> SaveState {
    // A read is answered after every write sent before it.
    store.read(|_| Ok(())).wait().unwrap();
    store.save_state()
}

fn policy(policy: PseudoLabelPolicy) -> Mutation {
    Mutation::SetPseudoLabelPolicy(policy)
}

#[test]
fn a_change_held_by_a_locked_database_waits_and_lands_once_it_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreThread::open(dir.path(), true, Arc::new(|| {}));
    store.write(policy(PseudoLabelPolicy::Never));
    assert_eq!(settle(&store), SaveState::Saved { writes: 1 });

    let mut holder = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
    let hold = holder
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    store.write(policy(PseudoLabelPolicy::WhenAccepted));
    store.write(Mutation::AddAnnotator { name: "Ana".into() });
    let state = settle(&store);
    assert!(
        matches!(&state, SaveState::Waiting { waiting: 2, message } if message.contains("another program")),
        "{state:?}"
    );
    drop(hold);
    drop(holder);
    let start = std::time::Instant::now();
    while settle(&store) != (SaveState::Saved { writes: 3 }) {
        assert!(start.elapsed() < Duration::from_secs(20), "never saved");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (policy, annotators) = store
        .read(|p| Ok((p.pseudo_label_policy()?, p.annotators()?)))
        .wait()
        .unwrap();
    assert_eq!(policy, PseudoLabelPolicy::WhenAccepted);
    assert_eq!(annotators.len(), 1);
    assert_eq!(store.shutdown(), Shutdown::Saved);
    let journals = std::fs::read_dir(dir.path().join(journal::JOURNAL_DIR))
        .unwrap()
        .count();
    assert_eq!(journals, 0, "a clean end leaves no journal");
}

#[test]
fn a_refused_change_is_set_aside_and_the_later_ones_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreThread::open(dir.path(), true, Arc::new(|| {}));
    // Reviewing a pseudo-label that does not exist fails every time.
    store.write(Mutation::ReviewPseudoLabels {
        ids: vec![41],
        reviewer: 1,
        decision: crate::store::AnnotationStatus::Accepted,
    });
    store.write(policy(PseudoLabelPolicy::Never));
    assert_eq!(settle(&store), SaveState::Saved { writes: 1 });
    let failures = store.failures();
    assert_eq!(failures.len(), 1);
    assert!(matches!(
        store.take_events()[..],
        [StoreEvent::Failed { .. }]
    ));
    let never = store.read(|p| p.pseudo_label_policy()).wait().unwrap();
    assert_eq!(never, PseudoLabelPolicy::Never);

    store.export_failures();
    settle(&store);
    let exported = store.take_events();
    let [StoreEvent::Exported(Ok(path))] = &exported[..] else {
        panic!("{exported:?}")
    };
    assert!(
        std::fs::read_to_string(path)
            .unwrap()
            .contains("pseudo-label")
    );

    // Kept for the next session until discarded.
    assert_eq!(store.shutdown(), Shutdown::Kept(1));
    let store = StoreThread::open(dir.path(), false, Arc::new(|| {}));
    settle(&store);
    let failures = store.failures();
    assert_eq!(failures.len(), 1, "the failure is still listed");
    store.discard(failures[0].seq);
    settle(&store);
    assert!(store.failures().is_empty());
    assert_eq!(store.shutdown(), Shutdown::Saved);
}

#[test]
fn a_journal_left_by_a_killed_session_is_applied_once_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let ana = Project::open_or_create(dir.path())
        .unwrap()
        .bootstrap_admin("Ana")
        .unwrap();
    let change = |policy| Mutation::ChangePseudoLabelPolicy { by: ana, policy };
    // A session that journalled three changes, of which the database
    // took the first, then died.
    let mut journal = Journal::<Mutation>::create(dir.path()).unwrap();
    let first = journal.append(&change(PseudoLabelPolicy::Never)).unwrap();
    journal
        .append(&Mutation::AddAnnotator { name: "Ana".into() })
        .unwrap();
    journal
        .append(&Mutation::ReviewPseudoLabels {
            ids: Vec::new(),
            reviewer: ana,
            decision: crate::store::AnnotationStatus::Accepted,
        })
        .unwrap();
    let mut project = Project::open(dir.path()).unwrap();
    project
        .apply_journaled(journal.id(), first, |p| {
            change(PseudoLabelPolicy::Never).apply(p)
        })
        .unwrap();
    // A change made afterwards must survive the replay: entry 1 is not applied again.
    project
        .set_pseudo_label_policy(ana, PseudoLabelPolicy::WhenAccepted)
        .unwrap();
    drop(project);
    drop(journal); // the lock goes with the process

    let store = StoreThread::open(dir.path(), false, Arc::new(|| {}));
    assert_eq!(settle(&store), SaveState::Saved { writes: 2 });
    assert_eq!(store.take_events(), [StoreEvent::Recovered(2)]);
    let (annotators, policy) = store
        .read(|p| Ok((p.annotators()?, p.pseudo_label_policy()?)))
        .wait()
        .unwrap();
    let names: Vec<_> = annotators
        .iter()
        .map(|a| (a.name.as_str(), a.role))
        .collect();
    assert_eq!(names, [("Ana", crate::store::Role::Admin)]);
    assert_eq!(policy, PseudoLabelPolicy::WhenAccepted);
}

#[test]
fn a_policy_change_journalled_before_roles_applies_only_without_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open_or_create(dir.path()).unwrap();
    Mutation::SetPseudoLabelPolicy(PseudoLabelPolicy::Never)
        .apply(&mut project)
        .unwrap();
    assert_eq!(
        project.pseudo_label_policy().unwrap(),
        PseudoLabelPolicy::Never
    );
    project.bootstrap_admin("Ana").unwrap();
    let refused = Mutation::SetPseudoLabelPolicy(PseudoLabelPolicy::WhenAccepted)
        .apply(&mut project)
        .unwrap_err();
    assert!(
        refused.to_string().contains("an admin must make it again"),
        "{refused}"
    );
    assert_eq!(
        project.pseudo_label_policy().unwrap(),
        PseudoLabelPolicy::Never
    );
}

#[test]
fn a_project_that_cannot_open_answers_reads_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreThread::open(&dir.path().join("missing"), false, Arc::new(|| {}));
    let answer = store.read(|p| p.collections()).wait();
    assert!(
        answer
            .unwrap_err()
            .to_string()
            .contains("no EchoLabel project")
    );
}

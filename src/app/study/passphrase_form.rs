//! Passphrases on the People tab: anyone sets, changes or removes their own;
//! an admin also another person's (to reset a forgotten one). The passphrase
//! goes to the store thread directly, never through the change journal, so
//! that it is never written anywhere in clear; the library keeps an argon2
//! hash.

use eframe::egui;

use crate::store::Annotator;

/// What the form asks for: `annotator_id`'s passphrase set (or removed with `None`).
#[derive(Clone, PartialEq, Eq)]
pub struct PassphraseRequest {
    pub annotator_id: i64,
    pub passphrase: Option<String>,
}

/// Never prints the passphrase (commands are debug-printed in logs and panics).
impl std::fmt::Debug for PassphraseRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphraseRequest")
            .field("annotator_id", &self.annotator_id)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "…"))
            .finish()
    }
}

#[derive(Default)]
pub struct PassphraseForm {
    /// Whose passphrase (an admin may choose); the person working by default.
    person: Option<i64>,
    passphrase: String,
    again: String,
}

impl PassphraseForm {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        me: &Annotator,
        people: &[Annotator],
        admin: bool,
    ) -> Option<PassphraseRequest> {
        let person_id = self.person.filter(|_| admin).unwrap_or(me.id);
        let person = people.iter().find(|p| p.id == person_id).unwrap_or(me);
        ui.strong("Passphrase");
        ui.horizontal(|ui| {
            if admin {
                egui::ComboBox::from_id_salt("passphrase person")
                    .selected_text(&person.name)
                    .show_ui(ui, |ui| {
                        for other in people {
                            ui.selectable_value(&mut self.person, Some(other.id), &other.name);
                        }
                    });
            } else {
                ui.label(&person.name);
            }
            ui.weak(if person.passphrase {
                "has a passphrase"
            } else {
                "has none"
            });
        });
        egui::Grid::new("passphrase form")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, text) in [
                    ("New passphrase", &mut self.passphrase),
                    ("Again", &mut self.again),
                ] {
                    let label = ui.label(label);
                    ui.add(egui::TextEdit::singleline(text).password(true))
                        .labelled_by(label.id);
                    ui.end_row();
                }
            });
        let mut request = None;
        ui.horizontal(|ui| {
            let typed = !self.passphrase.is_empty();
            let same = self.passphrase == self.again;
            if ui
                .add_enabled(typed && same, egui::Button::new("Set passphrase"))
                .clicked()
            {
                request = Some(PassphraseRequest {
                    annotator_id: person.id,
                    passphrase: Some(std::mem::take(&mut self.passphrase)),
                });
                self.again.clear();
            }
            if typed && !same {
                ui.weak("The two do not match");
            }
            if person.passphrase
                && ui
                    .button("Remove passphrase")
                    .on_hover_text("Anyone at this workstation may then work as them")
                    .clicked()
            {
                request = Some(PassphraseRequest {
                    annotator_id: person.id,
                    passphrase: None,
                });
                self.passphrase.clear();
                self.again.clear();
            }
        });
        ui.weak(
            "A passphrase keeps people on a shared workstation apart. It is not a \
             security boundary: anyone with the project file can read and change it.",
        );
        request
    }
}

//! Messages for the user in the corner of the window: errors stay until
//! dismissed (they name a file and say what to do), information fades.

use std::time::{Duration, Instant};

use eframe::egui;

const INFO_LIFETIME: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

struct Notice {
    level: Level,
    text: String,
    shown_at: Instant,
}

#[derive(Default)]
pub struct Notices {
    notices: Vec<Notice>,
}

impl Notices {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        eprintln!("echolabel: {text}");
        self.push(Level::Error, text);
    }

    fn push(&mut self, level: Level, text: String) {
        self.notices.push(Notice {
            level,
            text,
            shown_at: Instant::now(),
        });
    }

    /// The texts currently shown (tests look here).
    pub fn texts(&self) -> impl Iterator<Item = (Level, &str)> {
        self.notices.iter().map(|n| (n.level, n.text.as_str()))
    }

    /// Draws the notices at the bottom right, newest at the bottom.
    pub fn ui(&mut self, ctx: &egui::Context) {
        self.notices
            .retain(|n| n.level == Level::Error || n.shown_at.elapsed() < INFO_LIFETIME);
        if self.notices.is_empty() {
            return;
        }
        if self.notices.iter().any(|n| n.level == Level::Info) {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        let mut dismissed = None;
        egui::Area::new(egui::Id::unique("notices"))
            .anchor(egui::Align2::RIGHT_BOTTOM, [-12.0, -40.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(420.0);
                for (index, notice) in self.notices.iter().enumerate() {
                    let (fill, stroke) = match notice.level {
                        Level::Info => (
                            ui.visuals().extreme_bg_color,
                            ui.visuals().weak_text_color(),
                        ),
                        Level::Error => (
                            egui::Color32::from_rgb(80, 20, 20),
                            egui::Color32::from_rgb(255, 120, 110),
                        ),
                    };
                    egui::Frame::popup(ui.style()).fill(fill).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.add(
                                egui::Label::new(egui::RichText::new(&notice.text).color(stroke))
                                    .wrap(),
                            );
                            if notice.level == Level::Error && ui.small_button("Dismiss").clicked()
                            {
                                dismissed = Some(index);
                            }
                        });
                    });
                }
            });
        if let Some(index) = dismissed {
            self.notices.remove(index);
        }
    }
}

//! Errors the GPU reports outside any error scope (a texture it refuses, a
//! lost device). wgpu's default handler panics, and since the app reopens the
//! last project at start, one bad clip would crash it on every start; here
//! they are written to stderr and kept for the app to show as a notice.

use std::sync::{Arc, Mutex, PoisonError};

use eframe::egui;
use eframe::egui_wgpu::RenderState;

/// Messages reported since the app last looked, shared with the device's handler.
#[derive(Clone, Default)]
struct Reported(Arc<Mutex<Vec<String>>>);

fn key() -> egui::Id {
    egui::Id::unique("echolabel gpu errors")
}

/// Routes the device's uncaptured errors to stderr and to [`take`] on `ctx`.
pub fn watch(render_state: &RenderState, ctx: &egui::Context) {
    let reported = Reported::default();
    ctx.data_mut(|data| data.insert_temp(key(), reported.clone()));
    let repaint = ctx.clone();
    render_state
        .device
        .on_uncaptured_error(Arc::new(move |error: eframe::wgpu::Error| {
            let message = error.to_string();
            eprintln!("echolabel: the graphics device reported an error: {message}");
            reported
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(message);
            repaint.request_repaint();
        }));
}

/// The errors reported since the last call (none where [`watch`] was not called).
pub fn take(ctx: &egui::Context) -> Vec<String> {
    ctx.data(|data| data.get_temp::<Reported>(key()))
        .map(|reported| {
            std::mem::take(&mut *reported.0.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .unwrap_or_default()
}

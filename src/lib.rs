#![recursion_limit = "256"]
//! Roster: invite people onto a platform, resend and copy invitation links,
//! and let invitees register through a short, safe flow.

pub mod api;
pub mod app;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

/// Called by Leptos' island script once the WASM is loaded; the script then
/// hydrates each `<leptos-island>` of the page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    ui::browser::mark_hydrated_after_islands();
}

//! Outcomes of actions, announced to screen readers: one `status` region for
//! success, one `alert` region for errors (SPEC §5), plus the manual-copy
//! dialog used when the clipboard is refused (R9).

use crate::domain::{format::clock_time, AppError};
use leptos::{html, prelude::*};

#[derive(Clone, Copy)]
pub struct Notices {
    status: RwSignal<String>,
    alert: RwSignal<String>,
    hint: RwSignal<String>,
    manual_copy: RwSignal<Option<String>>,
}

impl Notices {
    pub fn provide() -> Self {
        let notices = Notices {
            status: RwSignal::new(String::new()),
            alert: RwSignal::new(String::new()),
            hint: RwSignal::new(String::new()),
            manual_copy: RwSignal::new(None),
        };
        provide_context(notices);
        notices
    }

    pub fn get() -> Self {
        expect_context::<Notices>()
    }

    pub fn ok(&self, message: impl Into<String>) {
        self.alert.set(String::new());
        self.hint.set(String::new());
        self.status.set(message.into());
    }

    /// Shows the error's own text; a cooldown also says when to try again (R8).
    pub fn error(&self, error: &AppError) {
        self.status.set(String::new());
        self.alert.set(error.to_string());
        self.hint.set(match error {
            AppError::Cooldown { until } => format!("You can resend at {}.", clock_time(*until)),
            _ => String::new(),
        });
    }

    pub fn show_manual_copy(&self, link: String) {
        self.manual_copy.set(Some(link));
    }
}

#[component]
pub fn NoticeArea() -> impl IntoView {
    let notices = Notices::get();
    view! {
        <div class="notices">
            <p role="status" class="notice" class:empty=move || notices.status.get().is_empty()>{move || notices.status.get()}</p>
            <div class="alert-box" class:empty=move || notices.alert.get().is_empty()>
                <p role="alert" class="alert">{move || notices.alert.get()}</p>
                <p class="hint">{move || notices.hint.get()}</p>
            </div>
        </div>
        <ManualCopyDialog />
    }
}

/// The link, selected, for copying by hand.
#[component]
fn ManualCopyDialog() -> impl IntoView {
    let notices = Notices::get();
    let input = NodeRef::<html::Input>::new();
    Effect::new(move || {
        if notices.manual_copy.get().is_some() {
            if let Some(input) = input.get() {
                let _ = input.focus();
                input.select();
            }
        }
    });
    view! {
        {move || notices.manual_copy.with(Option::is_some).then(|| view! {
            <div class="backdrop">
                <div role="dialog" aria-modal="true" aria-labelledby="manual-copy-title" class="dialog">
                    <h2 id="manual-copy-title">"Copy the invitation link"</h2>
                    <p>"The browser did not allow copying to the clipboard. The link is selected: press Ctrl+C (⌘C on a Mac)."</p>
                    <input node_ref=input readonly aria-label="Invitation link" class="link-box" prop:value=move || notices.manual_copy.get().unwrap_or_default() />
                    <div class="dialog-actions">
                        <button type="button" class="primary" on:click=move |_| notices.manual_copy.set(None)>"Done"</button>
                    </div>
                </div>
            </div>
        })}
    }
}

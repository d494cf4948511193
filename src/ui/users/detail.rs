//! The user detail panel (R21): a dialog whose content the server renders
//! (`users::history`), fetched when it opens.

use crate::api::users::user_details;
use crate::domain::AppError;
use crate::ui::widgets::Loading;
use leptos::{either::EitherOf3, ev, html, prelude::*, task::spawn_local};

#[component]
pub fn UserDetail(user_id: String, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let details = RwSignal::new(None::<Result<String, AppError>>);
    spawn_local(async move { details.set(Some(user_details(user_id).await)) });
    let close_button = NodeRef::<html::Button>::new();
    Effect::new(move || {
        if let Some(button) = close_button.get() {
            let _ = button.focus();
        }
    });
    let on_key = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            on_close.run(());
        }
    };
    view! {
        <div class="backdrop" on:keydown=on_key>
            <div role="dialog" aria-modal="true" aria-labelledby="detail-title" class="dialog wide detail">
                {move || match details.get() {
                    None => EitherOf3::A(view! { <Loading /> }),
                    // Our own server's rendering, escaped as every page is.
                    Some(Ok(html)) => EitherOf3::B(view! { <div class="detail-body" inner_html=html></div> }),
                    Some(Err(error)) => EitherOf3::C(view! {
                        <h2 id="detail-title">"User details"</h2>
                        <p class="alert" role="alert">{error.to_string()}</p>
                    }),
                }}
                <div class="dialog-actions">
                    <button type="button" node_ref=close_button on:click=move |_| on_close.run(())>"Close"</button>
                </div>
            </div>
        </div>
    }
}

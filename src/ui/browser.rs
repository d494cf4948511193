//! The few browser APIs we call directly, behind functions that do nothing
//! on the server.

/// Writes `text` with the asynchronous Clipboard API (R9); `false` when the
/// browser refuses (no permission, insecure context).
pub async fn write_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let promise = window.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// Moves focus to the next (or previous) sibling of the focused element:
/// arrow keys in a menu.
pub fn focus_sibling(forward: bool) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(active) = leptos::prelude::document().active_element() else {
            return;
        };
        let next = if forward {
            active.next_element_sibling()
        } else {
            active.previous_element_sibling()
        };
        if let Some(element) = next.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = forward;
}

/// Reads a chosen file as text.
#[cfg(feature = "hydrate")]
pub async fn read_file(file: web_sys::File) -> Option<String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .ok()?;
    text.as_string()
}

/// Focuses the element with this id, if it is on the page: where focus goes
/// back to when a dialog closes.
pub fn focus_by_id(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(element) = leptos::prelude::document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Sets `data-hydrated` on `<body>` once every island of the page is
/// hydrated: what tests and scripts wait for before clicking. The island
/// script hydrates the islands one after another in microtasks, right
/// after `hydrate` returns; a timeout runs after all of them.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated_after_islands() {
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}

/// The page's `?…` part, or "" (on the server too).
pub fn location_search() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// Puts `search` (`?…` or "") in the address bar as a new history entry,
/// keeping the path: no page load, no scroll.
pub fn push_query(search: &str) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let path = window.location().pathname().unwrap_or_default();
        if let Ok(history) = window.history() {
            let url = format!("{path}{search}");
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = search;
}

/// Loads `path` as a new page (after a sign-in the whole page changes).
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

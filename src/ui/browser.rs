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

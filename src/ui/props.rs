//! Island props that are also server-function answers (a users page, the
//! teams, the sign-in settings) travel as JSON text and are decoded the way
//! those answers are, from bytes. serde_json makes a decoder per type and
//! per reader: props alone are read from a `&str`, answers from `&[u8]`, and
//! the second copy of each decoder was ~15 KB of the browser's WASM.

use serde::{de::DeserializeOwned, Serialize};

/// On the server: a value as an island prop.
pub fn encode<T: Serialize>(value: &T) -> String {
    leptos::serde_json::to_string(value).unwrap_or_default()
}

/// In the island (on both sides): the value back, as a server-function
/// answer would be read; `None` if the text is not one.
pub fn decode<T: DeserializeOwned>(json: &str) -> Option<T> {
    leptos::serde_json::from_slice(json.as_bytes()).ok()
}

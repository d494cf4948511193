#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    if let Err(error) = roster::server::app_server::run().await {
        eprintln!("roster: {error}");
        std::process::exit(1);
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser half starts in `lib.rs::hydrate`.
}

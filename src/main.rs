#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
const USAGE: &str = "\
usage: roster                      serve Roster (configured by the environment: see the README)
       roster demo --users N ...   add demo data to the database (roster demo --help)";

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    // Two commands and a few flags: read by hand, no argument-parsing crate.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        None => roster::server::app_server::run().await,
        Some((command, rest)) if command == "demo" => roster::server::demo::run_command(rest).await,
        Some((help, _)) if help == "-h" || help == "--help" || help == "help" => {
            println!("{USAGE}");
            Ok(())
        }
        Some((other, _)) => Err(format!("unknown command “{other}”\n\n{USAGE}").into()),
    };
    if let Err(error) = result {
        eprintln!("roster: {error}");
        std::process::exit(1);
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser half starts in `lib.rs::hydrate`.
}
